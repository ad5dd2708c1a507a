"""The data contract: the tables and their columns (`schema`), validation with rejects (`validate`),
reading and writing the table files (`io`), and the contract as Markdown (`markdown`)."""
