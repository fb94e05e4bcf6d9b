package dev.weir.testcontainers;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a test class only where a Docker engine answers. Without one the class is skipped with the
 * reason (reported by JUnit and printed), unless WEIR_DOCKER_REQUIRED=true (or -Dweir.docker.required=true),
 * as in CI, where it fails instead.
 */
final class DockerCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return ConditionEvaluationResult.enabled("a Docker engine answers");
        }
        String reason = "no Docker engine answers (start one with .ci/docker-engine.sh up)";
        String required = System.getProperty("weir.docker.required", System.getenv("WEIR_DOCKER_REQUIRED"));
        if (Boolean.parseBoolean(required)) {
            throw new ExtensionConfigurationException(reason + ", and WEIR_DOCKER_REQUIRED=true");
        }
        System.err.println("Weir container tests skipped: " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
