"""An index on ``resource (dataset_id, size)``: the home page's totals read it, not the rows.

A resource row carries its ``dc:`` metadata; counting and summing the files a
user may see read every such row (45 ms at 50,000 files) until this index
covers the query (10 ms).
"""


def up(migrator, db):
    migrator.migrate(migrator.add_index("resource", ("dataset_id", "size"), False))
