package io.mqtap.producer;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The producer as its own JVM (as an operator runs it), for signal, exit-code and message tests. */
final class ProducerProcess implements AutoCloseable {
    final Process process;
    final Path log;

    private ProducerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code MqTapApplication args...}, optionally behind a launcher prefix (e.g. setpriv ...). */
    static ProducerProcess start(List<String> prefix, Map<String, String> env, String... args) throws IOException {
        Path log = Files.createTempFile("mqtap-producer-", ".log");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MqTapApplication.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new ProducerProcess(pb.start(), log);
    }

    /** Runs {@code command args...} as given (a launcher and its own java command line), with the same output capture. */
    static ProducerProcess startCommand(List<String> command, Map<String, String> env, String... args) throws IOException {
        Path log = Files.createTempFile("mqtap-producer-", ".log");
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new ProducerProcess(pb.start(), log);
    }

    static ProducerProcess start(String... args) throws IOException {
        return start(List.of(), Map.of(), args);
    }

    /** Waits for the exit, at most the timeout; kills it (by its PID) if it did not exit. */
    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("producer did not exit within " + seconds + " s; output:\n" + output());
        }
        return process.exitValue();
    }

    /** Waits until the output contains the text, or fails with the output so far. */
    void awaitOutput(String text, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) return;
            if (!process.isAlive()) break;
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + text + "' in the producer's output within " + seconds + " s:\n" + output());
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** SIGTERM, as systemd or Ctrl-C would send it. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        new File(log.toString()).delete();
    }
}
