//! b2h end-to-end tests: the one integration test binary (linking this stack is slow).

mod access;
mod analytics;
mod apikeys;
mod audit;
mod caching;
mod changes;
mod cli;
mod compose;
mod constraints;
mod disclosure;
mod export;
mod faults;
mod figures;
mod fuzz;
mod graphql;
mod hostile;
mod imports;
mod limits;
mod lists;
mod migrations;
mod refusals;
mod relations;
mod reports;
mod seed;
mod server;
mod writes;
