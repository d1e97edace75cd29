using Herald.Cli.Agents;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Engine;

namespace Herald.Cli.Tests;

public sealed class EchoAgentTests
{
    [Fact]
    public async Task ExecuteAsync_Text_RepliesWithSameTextAndCreatesNoTask()
    {
        await using var harness = new AgentHarness(new EchoAgent(), mode: Herald.Server.Agents.AgentResponseMode.MessageOrTask);
        var request = AgentHarness.Request("hello, herald");

        var start = await harness.Engine.SendAsync(Caller.Anonymous, request, SendMode.Blocking, CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.Null(start.Task);
        var reply = Assert.IsType<Message>(start.Reply);
        Assert.Equal(Role.Agent, reply.Role);
        Assert.Equal("hello, herald", reply.GetText());
        Assert.Null(reply.TaskId);
        Assert.Null(await harness.Engine.GetTaskAsync(request.Message!.TaskId ?? ""));
        var list = await harness.Engine.ListTasksAsync(new ListTasksRequest(), CancellationToken.None);
        Assert.Empty(list.Tasks);
    }
}
