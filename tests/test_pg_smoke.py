import psycopg


def test_fresh_database_is_usable(postgres_database):
    server, dbname = postgres_database
    with psycopg.connect(server.conninfo(dbname)) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == dbname
