package dev.tooltune.dataset.example;

import java.util.List;

/** A page of a version's examples in position order; {@code total} counts all that match the filters. */
public record ExamplePage(int page, int size, long total, List<ExampleView> items) {}
