// Starts GraphiQL against this server's /graphql, sending any API key the user saves in the
// headers tab. Kept out of index.html so that a strict Content-Security-Policy can forbid inline
// scripts.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });
  var defaultQuery = [
    '# Back to Health: projects with their lead organisation and latest outcomes.',
    '{',
    '  projects(first: 10, orderBy: [{ field: START_DATE, direction: DESC }]) {',
    '    totalCount',
    '    nodes {',
    '      reference title primaryStage status',
    '      leadOrganisation { name region { name } }',
    '      latestOutcomeRecords { periodEnd value measure { code } }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
