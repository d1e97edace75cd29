using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Herald.Cli.Hosting;
using Npgsql;

namespace Herald.Cli.Tests;

/// <summary><c>herald serve --store</c> with PostgreSQL URLs and connection strings, and the values it refuses.</summary>
public sealed class PostgresServeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [PostgresFact]
    public async Task Serve_PostgresUrl_AnswersSendMessage_AndASecondReplicaOnTheSameDatabaseServesTheTask()
    {
        var server = PostgresServer.Shared;
        var database = server.CreateDatabase();
        var url = $"postgres://postgres@127.0.0.1:{server.Port}/{database}";
        using var stop = new CancellationTokenSource();
        var outputA = new LineWriter();
        var outputB = new LineWriter();
        var errorA = new StringWriter();
        var runA = HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--grpc-urls", "off", "--agent", "chunks", "--store", url], outputA, errorA, stop.Token);
        var replicaA = Address(await outputA.ReadLineAsync(Timeout), url);

        // The second replica is given the same database as a connection string.
        var runB = HeraldCli.RunAsync(
            ["serve", "--urls", "http://127.0.0.1:0", "--grpc-urls", "off", "--agent", "chunks", "--store", $"Host=127.0.0.1;Port={server.Port};Username=postgres;Database={database}"],
            outputB, new StringWriter(), stop.Token);
        var replicaB = Address(await outputB.ReadLineAsync(Timeout), url);

        using var http = new HttpClient { Timeout = Timeout };
        using var sent = await RpcAsync(http, replicaA, """{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"3 delay=0"}]},"configuration":{"blocking":true}}}""");
        var task = sent.RootElement.GetProperty("result").GetProperty("task");
        var taskId = task.GetProperty("id").GetString()!;
        Assert.Equal("TASK_STATE_COMPLETED", task.GetProperty("status").GetProperty("state").GetString());

        using var got = await RpcAsync(http, replicaB, $$$"""{"jsonrpc":"2.0","id":2,"method":"GetTask","params":{"id":"{{{taskId}}}"}}""");
        var fromB = got.RootElement.GetProperty("result");
        Assert.Equal("TASK_STATE_COMPLETED", fromB.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(3, fromB.GetProperty("artifacts")[0].GetProperty("parts").GetArrayLength());

        // The task is in PostgreSQL, and no SQLite file was made for the URL.
        await using (var connection = new NpgsqlConnection(server.ConnectionString(database, "Pooling=false")))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM tasks WHERE task_id = $1", connection) { Parameters = { new() { Value = taskId } } };
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }

        Assert.False(File.Exists("postgres:") || Directory.Exists("postgres:"));
        await stop.CancelAsync();
        Assert.Equal(0, await runA.WaitAsync(Timeout));
        Assert.Equal(0, await runB.WaitAsync(Timeout));
        Assert.Equal("", errorA.ToString());
    }

    [Theory]
    [InlineData("ftp://example.com/tasks", "'ftp://' is not a store Herald has")]
    [InlineData("redis://127.0.0.1:6379", "'redis://' is not a store Herald has")]
    [InlineData("mysql://root@localhost/herald", "'mysql://' is not a store Herald has")]
    [InlineData("postgres://[broken", "is not a valid PostgreSQL URL or connection string")]
    public async Task Serve_StoreWithAnotherScheme_IsRefusedNamingWhatIsAccepted_AndCreatesNoFile(string store, string expected)
    {
        var before = Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length;
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await HeraldCli.RunAsync(["serve", "--urls", "http://127.0.0.1:0", "--store", store], output, error).WaitAsync(Timeout);

        Assert.Equal(1, exitCode); // as every other usage error
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("postgres://user:password@host:port/database", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(output.ToString().Split('\n'), l => l.StartsWith("Herald listening on", StringComparison.Ordinal));
        Assert.Equal(before, Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length);
    }

    [Theory]
    [InlineData("postgres://alice:p%40ss%3Bword@db.example.com:6543/herald?sslmode=require", "db.example.com", 6543, "alice", "p@ss;word", "herald")]
    [InlineData("postgresql://db.example.com/tasks", "db.example.com", 5432, null, null, "tasks")]
    [InlineData("Host=db.example.com;Port=5433;Username=bob;Password=pw;Database=h", "db.example.com", 5433, "bob", "pw", "h")]
    public void StoreLocation_PostgresForms_BecomeNpgsqlConnectionStrings(string text, string host, int port, string? user, string? password, string database)
    {
        Assert.True(StoreLocation.TryParse(text, out var location, out var error), error);
        Assert.Equal(StoreKind.Postgres, location!.Kind);
        var parsed = new NpgsqlConnectionStringBuilder(location.Target);
        Assert.Equal((host, port, user, password, database), (parsed.Host, parsed.Port, parsed.Username, parsed.Password, parsed.Database));
        Assert.DoesNotContain(password ?? "\0", location.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("herald.db")]
    [InlineData("data/tasks.db")]
    [InlineData("/var/lib/herald/herald.db")]
    public void StoreLocation_Path_StaysSqlite(string text)
    {
        Assert.True(StoreLocation.TryParse(text, out var location, out _));
        Assert.Equal(StoreKind.Sqlite, location!.Kind);
        Assert.Equal(Path.GetFullPath(text), location.Description);
    }

    private static Uri Address(string startupLine, string url)
    {
        Assert.Contains($"store: {url})", startupLine, StringComparison.Ordinal);
        var start = startupLine.IndexOf("http://", StringComparison.Ordinal);
        var end = startupLine.IndexOfAny([' ', ','], start);
        return new Uri(startupLine[start..end].TrimEnd('/') + "/");
    }

    private static async Task<JsonDocument> RpcAsync(HttpClient http, Uri address, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("A2A-Version", "1.0");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var document = JsonDocument.Parse(text);
        Assert.False(document.RootElement.TryGetProperty("error", out var rpcError), rpcError.ToString());
        return document;
    }
}
