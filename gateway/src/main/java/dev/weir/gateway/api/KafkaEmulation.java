package dev.weir.gateway.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * A Kafka broker release that Weir answers as (emulate.kafka.version): its ApiVersions ranges,
 * from kafka-broker-versions.tsv (generated from that release's kafka-clients jar), and the
 * features and quirks of kafka-broker-features.tsv. Weir still serves only what it implements: an
 * API's range is the intersection of Weir's and the release's, and an API the release lacked is
 * not advertised, so a request for it closes the connection as that broker did for an API it did
 * not know.
 */
public final class KafkaEmulation {
    /** A feature advertised in ApiVersions; {@code finalizedLevel} is empty when only supported. */
    public record Feature(String name, short minVersion, short maxVersion, Optional<Short> finalizedLevel) {
    }

    private static final String VERSIONS = "/kafka-broker-versions.tsv";
    private static final String FEATURES = "/kafka-broker-features.tsv";
    private static final KafkaEmulation OFF = new KafkaEmulation("", Map.of(), List.of(), Set.of());
    private static volatile List<String> releases;

    private final String release;
    private final Map<ApiKeys, short[]> ranges;
    private final List<Feature> features;
    private final Set<ApiKeys> unserved;

    private KafkaEmulation(String release, Map<ApiKeys, short[]> ranges, List<Feature> features, Set<ApiKeys> unserved) {
        this.release = release;
        this.ranges = ranges;
        this.features = features;
        this.unserved = unserved;
    }

    public static KafkaEmulation off() {
        return OFF;
    }

    /** The releases that can be emulated, as named in the table ("2.8", "3.0", ...). */
    public static List<String> releases() {
        if (releases == null) {
            List<String> header = header(read(VERSIONS));
            releases = List.copyOf(header.subList(2, header.size()));
        }
        return releases;
    }

    /** The emulation of {@code release}; off for an empty name. */
    public static KafkaEmulation of(String release) {
        if (release.isEmpty()) {
            return OFF;
        }
        int column = releases().indexOf(release);
        if (column < 0) {
            throw new IllegalArgumentException("no Kafka release " + release + " to emulate; known: " + releases());
        }
        column += 2;
        Map<ApiKeys, short[]> ranges = new EnumMap<>(ApiKeys.class);
        for (String[] row : rows(read(VERSIONS))) {
            short id = Short.parseShort(row[0]);
            // An API this kafka-clients no longer knows cannot be served by Weir either.
            if (ApiKeys.hasId(id) && !row[column].equals("-")) {
                String[] range = row[column].split("-");
                ranges.put(ApiKeys.forId(id), new short[] {Short.parseShort(range[0]), Short.parseShort(range[1])});
            }
        }
        List<Feature> features = new ArrayList<>();
        Set<ApiKeys> unserved = EnumSet.noneOf(ApiKeys.class);
        List<String> featureLines = read(FEATURES);
        int featureColumn = header(featureLines).indexOf(release);
        for (String[] row : rows(featureLines)) {
            String cell = row[featureColumn];
            if (cell.equals("-")) {
                continue;
            }
            if (row[0].equals("unserved")) {
                unserved.add(ApiKeys.valueOf(row[1]));
            } else {
                String[] parts = cell.split("/");
                String[] range = parts[0].split("-");
                Optional<Short> level = parts[1].equals("-") ? Optional.empty() : Optional.of(Short.parseShort(parts[1]));
                features.add(new Feature(row[1], Short.parseShort(range[0]), Short.parseShort(range[1]), level));
            }
        }
        return new KafkaEmulation(release, ranges, List.copyOf(features), unserved);
    }

    public boolean active() {
        return !release.isEmpty();
    }

    public String release() {
        return release;
    }

    /**
     * What Weir serves of {@code weir}'s API when emulating: the intersection with the release's
     * range, empty when the release did not have the API or the two do not overlap. Off: {@code weir}.
     */
    public Optional<ApiSupport> clamp(ApiSupport weir) {
        if (!active()) {
            return Optional.of(weir);
        }
        short[] theirs = ranges.get(weir.key());
        if (theirs == null) {
            return Optional.empty();
        }
        short min = (short) Math.max(weir.minVersion(), theirs[0]);
        short max = (short) Math.min(weir.maxVersion(), theirs[1]);
        return min <= max ? Optional.of(new ApiSupport(weir.key(), min, max)) : Optional.empty();
    }

    /** The release's advertised range of {@code key}, if it had the API. */
    public Optional<short[]> releaseRange(ApiKeys key) {
        return Optional.ofNullable(ranges.get(key)).map(short[]::clone);
    }

    /** APIs the release advertised but answered with UNSUPPORTED_VERSION when left at its defaults. */
    public boolean unserved(ApiKeys key) {
        return unserved.contains(key);
    }

    /** The features the release advertised in ApiVersions. */
    public List<Feature> features() {
        return features;
    }

    private static List<String> read(String resource) {
        try (InputStream in = KafkaEmulation.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the gateway jar");
            }
            List<String> lines = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> header(List<String> lines) {
        return List.of(lines.get(0).split("\t"));
    }

    private static List<String[]> rows(List<String> lines) {
        return lines.subList(1, lines.size()).stream().map(l -> l.split("\t")).toList();
    }
}
