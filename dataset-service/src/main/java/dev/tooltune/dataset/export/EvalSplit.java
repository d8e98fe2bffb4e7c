package dev.tooltune.dataset.export;

import dev.tooltune.dataset.api.ApiException;
import java.util.Locale;

/**
 * A deterministic train/eval split of a version. Examples are ordered by md5(seed + content hash), ties by
 * position, and the first round(evalRatio * n) form the eval part. The order depends only on the seed and each
 * example's content, so the same seed and ratio always give the same split, an example keeps its side when
 * others are added or removed (as long as the eval count does not move past it), and exact duplicates
 * sit next to each other instead of leaking from train into eval.
 */
public record EvalSplit(Part part, long seed, double evalRatio) {

    public enum Part { TRAIN, EVAL }

    public static EvalSplit parse(String part, long seed, double evalRatio) {
        if (part == null || part.isBlank()) {
            return null;
        }
        Part parsed;
        try {
            parsed = Part.valueOf(part.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("split is train or eval, not \"" + part + "\"");
        }
        checkRatio(evalRatio);
        return new EvalSplit(parsed, seed, evalRatio);
    }

    public static void checkRatio(double evalRatio) {
        if (!(evalRatio > 0 && evalRatio < 1)) {
            throw ApiException.badRequest("evalRatio must be between 0 and 1 (exclusive), e.g. 0.1");
        }
    }

    public static long evalCount(long total, double evalRatio) {
        return Math.round(total * evalRatio);
    }

    /**
     * Ranks the members of a version; parameters: seed (text), version id. Columns: position, example_id, rank.
     * {@code validFilter} is empty or an extra condition on {@code e}.
     */
    static String rankedMembers(String validFilter) {
        return """
                select ve.position, ve.example_id,
                       row_number() over (order by md5(? || encode(e.content_hash, 'hex')), ve.position) as rank
                from version_example ve join example e on e.id = ve.example_id
                where ve.version_id = ?""" + validFilter;
    }
}
