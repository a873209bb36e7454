"""The exercise service and its storage: the database, tables, migrations, browser sessions and access, cut by role."""
