package dev.tooltune.chat.importing;

import java.util.List;

/** An input record that cannot be turned into an OpenAI chat example; {@link #problems()} says where and why. */
public class ConversionException extends Exception {
    private final transient List<ImportProblem> problems;

    public ConversionException(List<ImportProblem> problems) {
        super(problems.isEmpty() ? "conversion failed" : problems.get(0).path() + ": " + problems.get(0).reason());
        this.problems = List.copyOf(problems);
    }

    public ConversionException(String path, String reason) {
        this(List.of(new ImportProblem(path, reason)));
    }

    public List<ImportProblem> problems() {
        return problems;
    }
}
