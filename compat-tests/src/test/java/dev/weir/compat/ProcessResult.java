package dev.weir.compat;

import java.util.Arrays;
import java.util.List;

/** What a finished (or timed-out) child process left behind. */
public record ProcessResult(String description, int exitCode, String stdout, String stderr, boolean timedOut) {

    public List<String> stdoutLines() {
        return Arrays.stream(stdout.split("\\R")).filter(line -> !line.isEmpty()).toList();
    }

    /** Fails the test with everything the process printed unless it exited 0 in time. */
    public ProcessResult assertSucceeded() {
        if (timedOut || exitCode != 0) {
            throw new AssertionError(describe(timedOut ? "timed out" : "exited with " + exitCode));
        }
        return this;
    }

    public String describe(String outcome) {
        return description + " " + outcome + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
}
