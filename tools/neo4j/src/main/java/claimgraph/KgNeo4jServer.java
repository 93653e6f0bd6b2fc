package claimgraph;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Embedded Neo4j Community with Bolt on 127.0.0.1:PORT, auth off, data in a temporary folder.
 *
 * Usage: java -cp target/classes:target/lib/* claimgraph.KgNeo4jServer [port] [dataDir]
 * Prints "READY bolt://127.0.0.1:PORT" once Bolt accepts connections; stops cleanly on SIGTERM
 * (the shutdown hook closes the database and deletes the data folder if this process made it).
 */
public final class KgNeo4jServer {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7687;
        Path data;
        boolean ownData;
        if (args.length > 1 && !args[1].isEmpty()) {
            data = Path.of(args[1]);
            Files.createDirectories(data);
            ownData = false;
        } else {
            data = Files.createTempDirectory("kg-neo4j-");
            ownData = true;
        }
        String pageCache = System.getenv().getOrDefault("NEO4J_PAGECACHE", "256m");
        // NEO4J_AUTH=on: require a login (user neo4j, initial password neo4j), for tests of
        // what a user with wrong credentials sees. Off by default.
        boolean auth = "on".equals(System.getenv().getOrDefault("NEO4J_AUTH", "off"));

        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(data)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                // Netty's default 5 s quiet period (twice) made every stop take 10+ s.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .build();
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        // Wait until the default database is online before announcing readiness.
        db.executeTransactionally("RETURN 1");

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("STOPPING");
            System.out.flush();
            try {
                dbms.shutdown();
            } finally {
                if (ownData) {
                    deleteQuietly(data);
                }
                stopped.countDown();
                System.out.println("STOPPED");
                System.out.flush();
            }
        }, "kg-neo4j-shutdown"));

        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("READY bolt://127.0.0.1:" + port + " auth=" + (auth ? "on" : "off") + " data=" + data + " startup_ms=" + ms);
        System.out.flush();
        stopped.await();
    }

    private static void deleteQuietly(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: it is a temp folder
        }
    }
}
