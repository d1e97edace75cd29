using Herald.Protocol;
using Herald.Server;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Tests;

/// <summary>What the host runs besides requests: option checks at start-up and the maintenance sweep on the injected clock.</summary>
public sealed class MaintenanceTests
{
    [Theory]
    [InlineData("KeepAliveInterval")]
    [InlineData("RunnerLeaseDuration")]
    [InlineData("MaintenanceInterval")]
    [InlineData("DefaultPageSize")]
    [InlineData("WriteStallTimeout")]
    [InlineData("MaxResponseBytesInFlight")]
    [InlineData("ResponseBudgetWait")]
    [InlineData("MaxConcurrentTaskSnapshots")]
    public async Task Start_InvalidOption_FailsNamingTheSetting(string setting)
    {
        void Break(HeraldOptions o)
        {
            switch (setting)
            {
                case "KeepAliveInterval": o.KeepAliveInterval = TimeSpan.Zero; break;
                case "RunnerLeaseDuration": o.RunnerLeaseDuration = TimeSpan.FromSeconds(-1); break;
                case "MaintenanceInterval": o.MaintenanceInterval = TimeSpan.Zero; break;
                case "DefaultPageSize": o.DefaultPageSize = 1000; break;
                case "WriteStallTimeout": o.WriteStallTimeout = TimeSpan.Zero; break;
                case "MaxResponseBytesInFlight": o.MaxResponseBytesInFlight = 1000; break;
                case "ResponseBudgetWait": o.ResponseBudgetWait = TimeSpan.FromSeconds(-2); break;
                case "MaxConcurrentTaskSnapshots": o.MaxConcurrentTaskSnapshots = 0; break;
            }
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => HeraldTestServer.StartAsync(new ControlledAgent(), Break));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_RetentionOnTheInjectedClock_DeletesEndedTasksAfterTheirRetention()
    {
        var clock = new TestClock();
        var store = new InterceptingTaskStore();
        await using var server = await HeraldTestServer.StartAsync(
            h => h.AddAgent((c, ct) => c.CompleteAsync("done", ct).AsTask()).UseStore(_ => store),
            o =>
            {
                o.TaskRetention = TimeSpan.FromHours(1);
                o.MaintenanceInterval = TimeSpan.FromMinutes(1);
            },
            s => s.AddSingleton<TimeProvider>(clock));
        var done = await server.SendBlockingAsync();
        var taskId = done.GetProperty("id").GetString()!;

        // Just under the retention: the sweeps run, the task stays.
        for (var minute = 0; minute < 59; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.NotNull(await server.Tasks.GetTaskAsync(taskId));
        Assert.False(store.FirstDeletion.IsCompleted);

        // Past it: the next sweep deletes the task with its log.
        clock.Advance(TimeSpan.FromMinutes(2));
        await store.FirstDeletion.Within();

        Assert.Null(await server.Tasks.GetTaskAsync(taskId));
        var error = await server.ErrorAsync("GetTask", new System.Text.Json.Nodes.JsonObject { ["id"] = taskId }, A2AErrorCodes.TaskNotFound);
        Assert.Contains(taskId, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
