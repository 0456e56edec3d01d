// Mail's types carry Support's diagnostics and byte helpers: whoever reads mail sees them.
@_exported import Support
