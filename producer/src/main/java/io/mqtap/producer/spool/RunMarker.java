package io.mqtap.producer.spool;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The file {@code spool.dir/run}: which run uses the spool, and, once it has stopped cleanly, how it ended. A run
 * writes it unclean when it starts and clean when its stop is done, so the next run can tell a clean stop from a
 * crash and say so (MqOpenStats.previousRun).
 */
public record RunMarker(String runId, boolean clean, long lastSequence, long lastEventMicros, long detachedMicros) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FILE = "run";

    /** A run that has just started: unclean until its stop rewrites the marker. */
    public static RunMarker started(String runId) {
        return new RunMarker(runId, false, -1, 0, 0);
    }

    /** The marker the previous run left, or null when there is none (or it cannot be read). */
    public static RunMarker read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) return null;
        try {
            return JSON.readValue(f.toFile(), RunMarker.class);
        } catch (IOException e) {
            return null; // torn by a crash while being written: treated as no trace
        }
    }

    public void write(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
