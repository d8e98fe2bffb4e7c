package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.JsonlReader;
import dev.tooltune.dataset.validation.LineJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Looks at the start of an upload for files that are not JSON Lines at all, which would otherwise get one error
 * per line (thousands for a big file) saying the same thing: a JSON array, UTF-16 text, or binary data (an
 * archive, a Parquet or Arrow file). Such a file gets one problem that says what it is and what to do.
 */
final class FileCheck {
    private static final int SNIFF_BYTES = 8192;

    private FileCheck() {}

    /** What is wrong with the file as a whole, or null when it may be JSON Lines. */
    static String problem(Path upload, int maxLineBytes) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(upload)) {
            head = in.readNBytes(SNIFF_BYTES);
        }
        if (head.length == 0) {
            return null;
        }
        String utf16 = utf16(head);
        if (utf16 != null) {
            return "the file is " + utf16 + " text; JSON Lines files must be UTF-8: convert it first "
                    + "(e.g. iconv -f UTF-16 -t UTF-8 file.jsonl > file-utf8.jsonl)";
        }
        if (binary(head)) {
            return "the file is binary data, not JSON Lines text"
                    + (compressed(head) ? " (it looks compressed: unpack it first)" : "")
                    + "; upload one JSON object per line, in UTF-8";
        }
        if (jsonArray(head, upload, maxLineBytes)) {
            return "the file is one JSON array, not JSON Lines: write one example per line "
                    + "(e.g. jq -c '.[]' file.json > file.jsonl)";
        }
        return null;
    }

    /** A UTF-16 byte order mark, or ASCII text with every other byte NUL. */
    private static String utf16(byte[] head) {
        if (head.length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE) {
            return "UTF-16 (little-endian, with a byte order mark)";
        }
        if (head.length >= 2 && (head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF) {
            return "UTF-16 (big-endian, with a byte order mark)";
        }
        int pairs = head.length / 2;
        if (pairs < 2) {
            return null;
        }
        int evenNul = 0;
        int oddNul = 0;
        for (int i = 0; i + 1 < head.length; i += 2) {
            evenNul += head[i] == 0 ? 1 : 0;
            oddNul += head[i + 1] == 0 ? 1 : 0;
        }
        if (oddNul > pairs * 0.8 && evenNul < pairs * 0.05) {
            return "UTF-16 (little-endian)";
        }
        if (evenNul > pairs * 0.8 && oddNul < pairs * 0.05) {
            return "UTF-16 (big-endian)";
        }
        return null;
    }

    /**
     * Mostly bytes that text never holds (NUL and other control characters). A text file with a few damaged lines
     * stays well below the threshold: its lines are reported one by one.
     */
    private static boolean binary(byte[] head) {
        int control = 0;
        for (byte b : head) {
            int value = b & 0xFF;
            if (value < 0x20 && value != '\n' && value != '\r' && value != '\t' && value != '\f') {
                control++;
            }
        }
        return compressed(head) || control > head.length * 0.1;
    }

    private static boolean compressed(byte[] head) {
        return head.length >= 4 && ((head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B         // gzip
                || head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4                // zip
                || (head[0] & 0xFF) == 0x28 && (head[1] & 0xFF) == 0xB5 && (head[2] & 0xFF) == 0x2F // zstd
                || head[0] == 'B' && head[1] == 'Z' && head[2] == 'h');                           // bzip2
    }

    /**
     * Starts with '[' (after a BOM and white space) and is not lines of JSON: it is the file's only line (an array
     * on one line), or neither it nor the next line parses on its own (a pretty-printed array). A file whose first
     * line is merely a stray array or a broken line among JSON Lines gets that line reported like any other.
     */
    private static boolean jsonArray(byte[] head, Path upload, int maxLineBytes) throws IOException {
        int i = head.length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF ? 3 : 0;
        while (i < head.length && Character.isWhitespace(head[i])) {
            i++;
        }
        if (i >= head.length || head[i] != '[') {
            return false;
        }
        try (JsonlReader reader = new JsonlReader(Files.newInputStream(upload), maxLineBytes)) {
            JsonlReader.Line first = reader.next();
            while (first != null && first.isBlank()) {
                first = reader.next();
            }
            if (first == null) {
                return false;
            }
            JsonlReader.Line second = reader.next();
            while (second != null && second.isBlank()) {
                second = reader.next();
            }
            if (second == null) {
                return true;
            }
            return !parses(first) && !parses(second);
        }
    }

    private static boolean parses(JsonlReader.Line line) {
        if (line.hasError()) {
            return false;
        }
        try {
            LineJson.MAPPER.readTree(line.text());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
