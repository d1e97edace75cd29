using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Herald.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests of one test process: <c>initdb</c> into a temp directory, <c>pg_ctl start</c>
/// on 127.0.0.1 and a free port (trust authentication, no fsync), stopped and deleted when the process exits. Started once,
/// on first use; each test class makes its own schema (<see cref="CreateSchema"/>) or database (<see cref="CreateDatabase"/>) in it.
/// </summary>
/// <remarks>
/// The binaries come from <c>HERALD_PG_BIN</c>, else the newest <c>/usr/lib/postgresql/*/bin</c>. Without them, tests
/// that need PostgreSQL are skipped with <see cref="SkipReason"/>; but with <c>CI=true</c> they run and fail, so that a CI
/// run never passes with PostgreSQL tests skipped. As root (PostgreSQL refuses to run as root), the cluster runs as the
/// <c>postgres</c> user.
/// </remarks>
internal sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> s_shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private readonly string _serverOptions;

    private PostgresServer(string directory, string bin, bool asPostgresUser, int port)
    {
        _directory = directory;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        Port = port;
        _serverOptions = $"-k {directory} -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c max_wal_size=96MB -c min_wal_size=32MB -c wal_level=minimal -c max_wal_senders=0";
    }

    /// <summary>The directory holding initdb and pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HERALD_PG_BIN") is { Length: > 0 } configured)
            {
                return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
            }

            const string Root = "/usr/lib/postgresql";
            if (!Directory.Exists(Root))
            {
                return null;
            }

            return Directory.GetDirectories(Root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
        }
    }

    /// <summary>Why PostgreSQL tests are skipped here, or null when they run (PostgreSQL is installed, or CI requires them).</summary>
    public static string? SkipReason =>
        BinDirectory is not null || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? null
            : "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; set HERALD_PG_BIN to its bin directory). With CI=true this is a failure.";

    /// <summary>The cluster of this test process, started on first use.</summary>
    public static PostgresServer Shared => s_shared.Value;

    public int Port { get; }

    /// <summary>The connection string of <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database, string? extra = null) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=10;Command Timeout=30{(extra is null ? "" : ";" + extra)}";

    /// <summary>The database every <see cref="CreateSchema"/> schema is in.</summary>
    public const string TestDatabase = "herald_tests";

    /// <summary>
    /// A new, empty schema in <see cref="TestDatabase"/>, and the connection string of a store that works in it (its
    /// search path): a store per test costs a few catalog rows, where a database per test would cost megabytes of disk.
    /// </summary>
    public (string Schema, string ConnectionString) CreateSchema(string? extra = null)
    {
        var schema = "s_" + Guid.NewGuid().ToString("N");
        using var connection = new NpgsqlConnection(ConnectionString(TestDatabase, "Pooling=false"));
        connection.Open();
        using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        create.ExecuteNonQuery();
        return (schema, ConnectionString(TestDatabase, $"Search Path={schema}" + (extra is null ? "" : ";" + extra)));
    }

    /// <summary>A new, empty database; returns its name.</summary>
    public string CreateDatabase()
    {
        var name = "herald_" + Guid.NewGuid().ToString("N");
        using var connection = new NpgsqlConnection(ConnectionString("postgres", "Pooling=false"));
        connection.Open();
        using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        create.ExecuteNonQuery();
        return name;
    }

    /// <summary>Runs one statement on <paramref name="database"/> through a connection of its own.</summary>
    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database, "Pooling=false"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static PostgresServer Start()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException(
            "PostgreSQL is required (CI=true) but not installed: install the postgresql package or set HERALD_PG_BIN to the directory of initdb and pg_ctl.");
        var asPostgresUser = Environment.UserName == "root";
        SweepStale();
        var directory = Path.Combine(Path.GetTempPath(), "herald-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var data = Path.Combine(directory, "data");
        if (asPostgresUser)
        {
            Run("chown", false, "postgres:postgres", directory);
        }

        var port = FreePort();
        var server = new PostgresServer(directory, bin, asPostgresUser, port);
        server.Tool("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
        server.StartServer();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        using (var connection = new NpgsqlConnection(server.ConnectionString("postgres", "Pooling=false")))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {TestDatabase}", connection);
            create.ExecuteNonQuery();
        }

        return server;
    }

    /// <summary>
    /// Stops the cluster as an operator's restart does (<c>pg_ctl stop -m fast</c>: every session is ended, the server
    /// exits), so that clients see the database go away; <see cref="StartAgainAsync"/> brings it back on the same port.
    /// The cluster is shared by the whole test process: only tests in a non-parallel collection may call this.
    /// </summary>
    public Task StopAsync() => Task.Run(() => Tool("pg_ctl", "-D", Path.Combine(_directory, "data"), "-w", "-t", "60", "-m", "fast", "stop"));

    /// <summary>Starts the cluster again after <see cref="StopAsync"/>, with the same options and port; returns once it accepts connections.</summary>
    public Task StartAgainAsync() => Task.Run(StartServer);

    private void StartServer() =>
        Tool("pg_ctl", "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "log"), "-w", "-t", "60", "-o", _serverOptions, "start");

    /// <summary>Deletes the clusters of earlier test processes that ended without cleaning up (no server runs in them any more).</summary>
    private static void SweepStale()
    {
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "herald-pg-*"))
        {
            if (!File.Exists(Path.Combine(stale, "data", "postmaster.pid")))
            {
                Delete(stale);
            }
        }
    }

    private static void Delete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Held by something else: the next test run's sweep takes it.
        }
    }

    private void Stop()
    {
        try
        {
            Tool("pg_ctl", "-D", Path.Combine(_directory, "data"), "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the directory goes anyway.
        }

        Delete(_directory);
    }

    private void Tool(string name, params string[] args) =>
        Run(_asPostgresUser ? "runuser" : Path.Combine(_bin, name), false, _asPostgresUser ? ["-u", "postgres", "--", Path.Combine(_bin, name), .. args] : args);

    private static void Run(string file, bool quiet, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish in 90 s.");
        }

        if (process.ExitCode != 0 && !quiet)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}{output.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
