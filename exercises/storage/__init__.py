"""Storage: the database engine and its settings, the tables, and the migrations that create them."""
