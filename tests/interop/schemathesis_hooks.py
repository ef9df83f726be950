"""Schemathesis hooks for b2h's GraphQL fuzz test: strategies for b2h's scalars, and the one
property checked — no request gets a 5xx status or an INTERNAL_SERVER_ERROR (refusals such as
FORBIDDEN or BAD_USER_INPUT are the server working as it should)."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Real dates and some that are not: both must be answered without an internal error.
schemathesis.graphql.scalar(
    "Date",
    st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(st.datetimes().map(lambda t: t.isoformat() + "Z"), st.text(max_size=30)).map(nodes.String),
)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str), st.text(max_size=12)).map(nodes.String),
)
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))


@schemathesis.check
def no_internal_errors(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"status {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON (status {response.status_code}): {response.text[:300]}")
    for error in (body or {}).get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR" or code is None:
            raise AssertionError(f"error without a proper code: {error}")
