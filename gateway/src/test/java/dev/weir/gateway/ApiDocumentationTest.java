package dev.weir.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.gateway.api.ApiSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's table of supported APIs is checked against the handler registry, so it cannot drift. */
class ApiDocumentationTest {

    @Test
    void readmeListsExactlyTheServedApisAndVersions(@TempDir Path dir) throws Exception {
        List<String> expected = new ArrayList<>();
        try (EmbeddedGateway g = new EmbeddedGateway(dir)) {
            List<ApiSupport> all = new ArrayList<>(g.gateway.registry().all());
            all.sort(Comparator.comparingInt(s -> s.key().id));
            for (ApiSupport s : all) {
                String advertised = s.key() == ApiKeys.PRODUCE ? "0-" + s.maxVersion() : s.minVersion() + "-" + s.maxVersion();
                expected.add("| " + s.key().id + " | " + s.key().name + " | " + s.minVersion() + "-" + s.maxVersion()
                        + " | " + advertised + " |");
            }
        }
        Path readme = Path.of(System.getProperty("weir.config.file", "../config/gateway.properties"))
                .getParent().getParent().resolve("README.md");
        List<String> lines = Files.readAllLines(readme);
        int start = lines.indexOf("<!-- api-table:start -->");
        int end = lines.indexOf("<!-- api-table:end -->");
        List<String> rows = lines.subList(start + 1, end).stream()
                .filter(l -> l.startsWith("| ") && Character.isDigit(l.charAt(2))).toList();
        assertEquals(String.join("\n", expected), String.join("\n", rows),
                "README.md's API table differs from the registry; replace its rows with the expected ones");
    }
}
