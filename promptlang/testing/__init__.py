"""`popsc test`: runs a project's `test` blocks through the generated Python SDK.

One concern per module: `sdk` imports the generated code from memory, `recordings`
says where answers are stored, `assertions` judges one `expect` line, `runner` picks,
shards and runs the tests, `reports` turns results into text, JSON, JUnit XML and
GitHub annotations."""
