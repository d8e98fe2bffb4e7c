package dev.tooltune.grammar;

import dev.tooltune.grammar.automaton.OutputFrame;
import dev.tooltune.grammar.automaton.OutputSpec;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.mask.MaskCache;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import java.util.List;

/**
 * A compiled grammar: what one kind of request (a tool set and mode, or a response format) may generate, with its
 * mask caches. Immutable apart from the caches; shared by all requests of that kind, from any thread.
 *
 * @param postChecked schema keywords not enforced while generating (with their location), checked afterwards
 */
public record Grammar(OutputSpec spec, GrammarVocabulary vocabulary, MaskCache masks, List<String> postChecked) {

    /** A fresh constraint for one request. */
    public GrammarConstraint newConstraint() {
        return new GrammarConstraint(this, OutputFrame.initial(spec));
    }

    State initialState() {
        return OutputFrame.initial(spec);
    }
}
