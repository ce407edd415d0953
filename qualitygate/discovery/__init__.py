"""Files: paths -> the sorted Python files to measure, and the shard of them a CI job takes."""
