using Herald.Cli;

namespace Herald.Cli.Tests;

/// <summary><c>--binding jsonrpc|rest|grpc</c>: every client verb over the binding it names, or a clear refusal.</summary>
public sealed class BindingOptionTests(CliTestServer server) : IClassFixture<CliTestServer>
{
    [Theory]
    [InlineData("jsonrpc", "JSONRPC")]
    [InlineData("rest", "HTTP+JSON")]
    public async Task Card_Binding_MarksThatInterfaceInUse(string option, string binding)
    {
        var run = await CliRun.RunAsync("card", server.Url, "--binding", option);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"  interface: {binding} 1.0 at {server.Url}  (in use)", run.Lines);
    }

    [Fact]
    public async Task SendStreamGetListCancel_BindingRest_WorkOverRest()
    {
        var stream = await CliRun.RunAsync("send", server.Url, "3 delay=0", "--stream", "--json", "--binding", "rest");
        Assert.Equal(0, stream.ExitCode);
        Assert.Equal(["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"], stream.JsonLines.Select(l => l.GetProperty("kind").GetString()));
        Assert.Equal(Enumerable.Range(1, 6), stream.JsonLines.Select(l => l.GetProperty("id").GetInt32()));
        var taskId = stream.JsonLines[0].GetProperty("response").GetProperty("task").GetProperty("id").GetString()!;

        var get = await CliRun.RunAsync("get", server.Url, taskId, "--json", "--binding", "rest");
        var list = await CliRun.RunAsync("list", server.Url, "--json", "--binding", "rest");
        var replay = await CliRun.RunAsync("subscribe", server.Url, taskId, "--after", "4", "--json", "--binding", "rest");
        var cancel = await CliRun.RunAsync("cancel", server.Url, taskId, "--binding", "rest");

        Assert.Equal("TASK_STATE_COMPLETED", Assert.Single(get.JsonLines).GetProperty("status").GetProperty("state").GetString());
        Assert.Contains(Assert.Single(list.JsonLines).GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == taskId);
        Assert.Equal([5, 6], replay.JsonLines.Select(l => l.GetProperty("id").GetInt32()));
        Assert.NotEqual(0, cancel.ExitCode); // already completed: TaskNotCancelable over REST, as over JSON-RPC
        Assert.Contains("TASK_NOT_CANCELABLE", Assert.Single(cancel.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_BindingGrpcNotOffered_Exits12NamingTheBinding()
    {
        var run = await CliRun.RunAsync("send", server.Url, "1", "--binding", "grpc");

        Assert.Equal(ExitCodes.UnsupportedVersion, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("does not offer the GRPC binding", line, StringComparison.Ordinal);
        Assert.Contains("HTTP+JSON 1.0", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_UnknownBinding_IsAUsageError()
    {
        var run = await CliRun.RunAsync("send", server.Url, "1", "--binding", "soap");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("'soap'", run.Error, StringComparison.Ordinal);
    }
}
