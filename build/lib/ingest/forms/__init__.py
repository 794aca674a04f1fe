"""Bureau workbooks (委办局报表): declarative form schemas (the YAML files here), cells, xlsx, parser, loader, feedback."""
