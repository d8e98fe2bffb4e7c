package dev.tooltune.chat.importing;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a JSON Lines stream one line at a time without holding more than one line in memory.
 *
 * <p>Accepts what real files contain: a UTF-8 byte order mark, CRLF line ends, blank lines and a last line
 * without a newline. A line that is not valid UTF-8, or longer than the limit, comes back as a {@link Line}
 * carrying an error instead of text, so a caller can report it by line number and go on with the next one.
 */
public final class JsonlReader implements Closeable {
    private static final int CHUNK = 64 * 1024;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[CHUNK];
    private int chunkPos;
    private int chunkLen;
    private byte[] line = new byte[1024];
    private long lineNumber;
    private long bytesRead;
    private boolean endOfStream;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    /**
     * One line of the file. Exactly one of {@code text} and {@code error} is set; {@code text} is empty
     * for a blank line. {@code number} counts from 1 and includes blank lines, like an editor does.
     */
    public record Line(long number, String text, String error, int byteLength) {
        public boolean isBlank() {
            return text != null && text.isBlank();
        }

        public boolean hasError() {
            return error != null;
        }
    }

    public JsonlReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** Bytes consumed from the stream so far, for progress reporting. */
    public long bytesRead() {
        return bytesRead;
    }

    /** The next line, or null at the end of the stream. */
    public Line next() throws IOException {
        int length = 0;
        long lineBytes = 0;
        boolean sawAny = false;
        while (true) {
            if (chunkPos == chunkLen) {
                if (endOfStream || !fill()) {
                    endOfStream = true;
                    if (!sawAny) {
                        return null;
                    }
                    break;
                }
            }
            sawAny = true;
            int newline = indexOfNewline(chunk, chunkPos, chunkLen);
            int end = newline < 0 ? chunkLen : newline;
            int count = end - chunkPos;
            if (lineBytes + count <= maxLineBytes) {
                ensureCapacity(length + count);
                System.arraycopy(chunk, chunkPos, line, length, count);
                length += count;
            }
            lineBytes += count;
            chunkPos = newline < 0 ? chunkLen : newline + 1;
            if (newline >= 0) {
                break;
            }
        }
        lineNumber++;
        if (length > 0 && length == lineBytes && line[length - 1] == '\r') {
            length--;
            lineBytes--;
        }
        if (lineBytes > maxLineBytes) {
            return new Line(lineNumber, null,
                    "line is " + lineBytes + " bytes long; the limit is " + maxLineBytes + " bytes",
                    (int) Math.min(Integer.MAX_VALUE, lineBytes));
        }
        int start = 0;
        if (lineNumber == 1 && length >= 3
                && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
            start = 3;
        }
        try {
            String text = decode(start, length - start);
            return new Line(lineNumber, text, null, length);
        } catch (CharacterCodingException e) {
            return new Line(lineNumber, null, "line is not valid UTF-8 (bad byte sequence at byte "
                    + (firstInvalidByte(start, length - start) + 1) + " of the line)", length);
        }
    }

    private String decode(int offset, int count) throws CharacterCodingException {
        if (isAscii(offset, count)) {
            return new String(line, offset, count, StandardCharsets.ISO_8859_1);
        }
        decoder.reset();
        return decoder.decode(ByteBuffer.wrap(line, offset, count)).toString();
    }

    private boolean isAscii(int offset, int count) {
        for (int i = offset; i < offset + count; i++) {
            if (line[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Position (0-based, relative to the line) where decoding first fails, so the error can point at it. */
    private int firstInvalidByte(int offset, int count) {
        decoder.reset();
        ByteBuffer bytes = ByteBuffer.wrap(line, offset, count);
        CharBuffer chars = CharBuffer.allocate(count + 1);
        CoderResult result = decoder.decode(bytes, chars, true);
        if (result.isError()) {
            return bytes.position() - offset;
        }
        return count;
    }

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(chunk, 0, chunk.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        chunkPos = 0;
        chunkLen = n;
        bytesRead += n;
        return true;
    }

    private void ensureCapacity(int needed) {
        if (needed > line.length) {
            line = Arrays.copyOf(line, Math.max(needed, line.length * 2));
        }
    }

    private static int indexOfNewline(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
