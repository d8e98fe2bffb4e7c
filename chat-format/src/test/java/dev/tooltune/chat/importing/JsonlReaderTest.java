package dev.tooltune.chat.importing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonlReaderTest {

    private static List<JsonlReader.Line> readAll(byte[] bytes, int maxLineBytes) throws IOException {
        List<JsonlReader.Line> lines = new ArrayList<>();
        try (JsonlReader reader = new JsonlReader(new ByteArrayInputStream(bytes), maxLineBytes)) {
            for (JsonlReader.Line line = reader.next(); line != null; line = reader.next()) {
                lines.add(line);
            }
            assertEquals(bytes.length, reader.bytesRead());
        }
        return lines;
    }

    @Test
    void bomCrlfBlankLinesAndMissingFinalNewline() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        out.write("{\"a\":1}\r\n\r\n   \n{\"b\":\"ü\"}".getBytes(StandardCharsets.UTF_8));
        List<JsonlReader.Line> lines = readAll(out.toByteArray(), 1024);
        assertEquals(4, lines.size());
        assertEquals("{\"a\":1}", lines.get(0).text());
        assertTrue(lines.get(1).isBlank());
        assertTrue(lines.get(2).isBlank());
        assertEquals("{\"b\":\"ü\"}", lines.get(3).text());
        assertEquals(4, lines.get(3).number());
    }

    @Test
    void invalidUtf8IsAnErrorOnItsLineAndReadingGoesOn() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("{\"ok\":1}\n{\"x\":\"".getBytes(StandardCharsets.UTF_8));
        out.write(new byte[] {(byte) 0xC3, (byte) 0x28});
        out.write("\"}\n{\"ok\":2}\n".getBytes(StandardCharsets.UTF_8));
        List<JsonlReader.Line> lines = readAll(out.toByteArray(), 1024);
        assertEquals(3, lines.size());
        assertNull(lines.get(1).text());
        assertEquals(2, lines.get(1).number());
        assertTrue(lines.get(1).error().contains("not valid UTF-8"), lines.get(1).error());
        assertTrue(lines.get(1).error().contains("byte 7"), lines.get(1).error());
        assertEquals("{\"ok\":2}", lines.get(2).text());
    }

    @Test
    void overlongLineIsReportedWithoutBufferingIt() throws IOException {
        String longLine = "x".repeat(200_000);
        byte[] bytes = ("{}\n" + longLine + "\n{\"after\":true}").getBytes(StandardCharsets.UTF_8);
        List<JsonlReader.Line> lines = readAll(bytes, 1000);
        assertEquals(3, lines.size());
        assertTrue(lines.get(1).error().contains("200000 bytes"), lines.get(1).error());
        assertEquals("{\"after\":true}", lines.get(2).text());
    }

    @Test
    void emptyStreamHasNoLines() throws IOException {
        assertTrue(readAll(new byte[0], 10).isEmpty());
        assertEquals(1, readAll("\n".getBytes(StandardCharsets.UTF_8), 10).size());
    }
}
