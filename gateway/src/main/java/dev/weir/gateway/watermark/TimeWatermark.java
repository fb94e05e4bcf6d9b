package dev.weir.gateway.watermark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A time watermark of a topic, as published to {@value WatermarkService#TOPIC} (key: the topic's
 * name): a consumer whose positions are at or past {@code streamCut} has seen every event with a
 * time below {@code lowerTimeBound} from well-behaved writers. Not Kafka's high watermark, which is
 * the committed end of a partition.
 *
 * @param streamCut per partition, the next offset after the writers' noted writes (exclusive end)
 */
public record TimeWatermark(String topic, long lowerTimeBound, long upperTimeBound, SortedMap<Integer, Long> streamCut) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TimeWatermark {
        streamCut = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(streamCut));
    }

    /** The public JSON form: {"topic","lowerTimeBound","upperTimeBound","streamCut":{"<partition>":<next offset>}}. */
    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TimeWatermark fromJson(byte[] json) throws IOException {
        Parsed p = JSON.readValue(json, Parsed.class);
        if (p.topic() == null || p.streamCut() == null) {
            throw new IOException("A time watermark needs a topic and a stream cut");
        }
        return new TimeWatermark(p.topic(), p.lowerTimeBound(), p.upperTimeBound(), new TreeMap<>(p.streamCut()));
    }

    private record Parsed(String topic, long lowerTimeBound, long upperTimeBound, Map<Integer, Long> streamCut) {
    }
}
