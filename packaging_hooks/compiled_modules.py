"""The parse modules a compiled wheel compiles (mypyc), named once for setup.py and the tests.

The modules a parse spends its time in. Not yaml_doc (its loader subclasses PyYAML's, which mypyc cannot
compile) nor the export readers (lxml and python-docx do their work); each named one type-checks.
"""

COMPILED_MODULES = ("build", "document", "raw", "reader", "rules", "structured", "values", "vocabulary")
