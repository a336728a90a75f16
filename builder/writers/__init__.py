"""Writers: one module per edition. Each renders documents (builder.document), made by the
readers (builder.readers), and parses no source format (docs/architecture.md)."""
