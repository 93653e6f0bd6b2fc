"""The Neo4j server that tools/neo4j starts is real, empty per test, and takes parameters."""

import pytest

pytestmark = pytest.mark.neo4j


def test_server_is_neo4j_5_community(neo4j_driver):
    records = neo4j_driver.execute_query("CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition", database_="neo4j").records
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["versions"][0].startswith("5.")


def test_each_test_starts_empty(neo4j_db):
    count = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n", database_="neo4j").records[0]["n"]
    assert count == 0
    neo4j_db.execute_query("CREATE (:Probe {id: 'left-behind'})", database_="neo4j")


def test_clear_removed_the_previous_tests_node(neo4j_db):
    count = neo4j_db.execute_query("MATCH (n:Probe) RETURN count(n) AS n", database_="neo4j").records[0]["n"]
    assert count == 0


def test_hostile_strings_round_trip_as_parameters(neo4j_db):
    hostile = "x'}) DETACH DELETE n //`; MATCH (m) \"\\u0027 `backtick` $param"
    neo4j_db.execute_query("CREATE (:Probe {id: $id, text: $text})", id=hostile, text=hostile, database_="neo4j")
    rec = neo4j_db.execute_query("MATCH (p:Probe {id: $id}) RETURN p.text AS t", id=hostile, database_="neo4j").records
    assert [r["t"] for r in rec] == [hostile]
