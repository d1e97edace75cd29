using System.Diagnostics;
using Herald.Cli.Agents;

namespace Herald.Cli.Tests;

public sealed class ProcessTableTests
{
    [Fact]
    public void TryParseStat_CommandNameWithSpacesAndParentheses_ReadsFieldsAfterTheLastParenthesis()
    {
        var stat = "4242 (a) b (c) S 17 4242 4200 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 987654 2654208 364 18446744073709551615\n";

        Assert.True(ProcessTable.TryParseStat(stat, out var entry));

        Assert.Equal(new ProcessTable.Entry(4242, 17, 4242, 4200, 987654), entry);
    }

    [Fact]
    public void TryParseStat_Zombie_IsNotALiveProcess()
    {
        var stat = "4242 (sleep) Z 1 4242 4200 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0 18446744073709551615\n";

        Assert.False(ProcessTable.TryParseStat(stat, out _));
    }

    [Fact]
    public async Task HasEnvironmentVariable_ChildStartedWithIt_MatchesTheWholeEntryOnly()
    {
        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "read line" }, RedirectStandardInput = true, UseShellExecute = false };
        start.Environment["HERALD_TEST_MARK"] = "abc";
        using var child = Process.Start(start)!;
        try
        {
            Assert.True(ProcessTable.HasEnvironmentVariable(child.Id, "HERALD_TEST_MARK=abc"));
            Assert.False(ProcessTable.HasEnvironmentVariable(child.Id, "HERALD_TEST_MARK=ab"));
            Assert.False(ProcessTable.HasEnvironmentVariable(child.Id, "TEST_MARK=abc"));
            Assert.False(ProcessTable.HasEnvironmentVariable(Environment.ProcessId, "HERALD_TEST_MARK=abc"));
        }
        finally
        {
            await child.StandardInput.WriteLineAsync();
            child.StandardInput.Close();
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public async Task HasEnvironmentVariable_EmptyEnvironment_CannotTellYet()
    {
        // What a process shows for a moment while it execs; here for good, started with env -i.
        var start = new ProcessStartInfo("/usr/bin/env") { ArgumentList = { "-i", "/bin/sh", "-c", "read line" }, RedirectStandardInput = true, UseShellExecute = false };
        using var child = Process.Start(start)!;
        try
        {
            // env execs sh in the same process: wait until it has (its command line says so), then ask.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!File.ReadAllText($"/proc/{child.Id}/cmdline").StartsWith("/bin/sh", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "env did not exec sh");
                await Task.Yield();
            }

            Assert.Null(ProcessTable.HasEnvironmentVariable(child.Id, "HERALD_TEST_MARK=abc"));
        }
        finally
        {
            await child.StandardInput.WriteLineAsync();
            child.StandardInput.Close();
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
    }
}
