using Herald.Protocol;

namespace Herald.Server.Tests.Engine;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FirstChanceExceptionsCollection
{
    /// <summary>Tests that count the process's first-chance exceptions run alone.</summary>
    public const string Name = "First-chance exceptions counted";
}

/// <summary>
/// A run that ends normally throws nothing on the engine's side: an exception per run (its cancel watch being stopped)
/// was most of what a short task cost the engine.
/// </summary>
[Collection(FirstChanceExceptionsCollection.Name)]
public sealed class RunExceptionTests
{
    [Fact]
    public async Task RunsThatComplete_ThrowNoExceptionInTheEngine()
    {
        var thrown = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            // The whole stack as the exception is thrown (this runs on the throwing thread): was it the run's watch?
            var stack = Environment.StackTrace;
            if (stack.Contains("Herald.Server.Engine.AgentRun", StringComparison.Ordinal))
            {
                thrown.Enqueue($"{e.Exception.GetType().Name}: {e.Exception.Message}");
            }
        }

        var harness = EngineHarness.Create(async (context, ct) =>
        {
            await context.AppendTextAsync("out", "done", lastChunk: true, cancellationToken: ct);
            await context.CompleteAsync(cancellationToken: ct);
        });
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var task = await harness.SendForTaskAsync(EngineHarness.Request($"task {i}"));
                Assert.Equal(TaskState.Completed, task.Status.State);
            }
        }
        finally
        {
            await harness.DisposeAsync(); // every run let go (their watches stopped) before counting
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
        }

        Assert.Empty(thrown);
    }
}
