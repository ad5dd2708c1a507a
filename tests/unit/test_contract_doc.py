from pathlib import Path

from authfit.contract.markdown import BEGIN, END, contract_markdown, replace_generated_block
from authfit.contract.schema import TABLES


def test_data_readme_matches_the_schema():
    document = Path("data/README.md").read_text(encoding="utf-8")
    assert contract_markdown() in document, "data/README.md is stale: run `python -m authfit.contract.markdown`"


def test_every_table_and_column_is_documented():
    text = contract_markdown()
    for table in TABLES.values():
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| {column.name} | {column.kind.value} |" in text


def test_regeneration_keeps_the_hand_written_parts():
    document = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    updated = replace_generated_block(document)
    assert updated.startswith("intro\n") and updated.endswith("\noutro\n") and "old" not in updated
