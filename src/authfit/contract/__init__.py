"""The data contract: the tables and their columns (`schema`), validation with rejects (`validate`),
reading and writing the table files (`io`), looking up keys among a column's values (`keys`), and the
contract as Markdown (`markdown`)."""
