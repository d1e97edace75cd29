using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Protocol.Tests;

/// <summary>
/// Every stored event is encoded once through <see cref="A2AJsonContext"/>'s generated fast path. One property with its
/// own <see cref="JsonNumberHandlingAttribute"/> takes its type off that path (System.Text.Json then writes it through
/// the metadata converters, which allocate a write stack per call): that cost about 350 bytes and a third of one
/// stream's throughput per event before it was found. The context reads every number from a string already.
/// </summary>
public sealed class SerializationFastPathTests
{
    [Fact]
    public void NoProtocolProperty_CarriesItsOwnNumberHandling()
    {
        var offenders = typeof(AgentTask).Assembly.GetTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(p => p.GetCustomAttribute<JsonNumberHandlingAttribute>() is not null)
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}")
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void StreamedUpdates_AllocateLittleMoreThanTheirBytes()
    {
        var artifact = new StreamResponse
        {
            ArtifactUpdate = new TaskArtifactUpdateEvent
            {
                TaskId = "task-1", ContextId = "context-1", Append = true, Generation = 7,
                Artifact = new Artifact { ArtifactId = "out", Parts = [Part.FromText("a chunk of text")] },
            },
        };
        var status = new StreamResponse
        {
            StatusUpdate = new TaskStatusUpdateEvent
            {
                TaskId = "task-1", ContextId = "context-1", Generation = 8,
                Status = new AgentTaskStatus { State = TaskState.Working, Timestamp = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero) },
            },
        };

        foreach (var response in new[] { artifact, status })
        {
            var (allocated, size) = Measure(response);

            // The result array (its bytes and an array header) and the writer's small constant; the metadata path
            // allocated about 350 bytes more.
            Assert.True(allocated - size < 192, $"{allocated} bytes allocated per call for {size} bytes of JSON");
        }
    }

    [Fact]
    public void Generation_ReadFromANumberOrAString()
    {
        var fromNumber = JsonSerializer.Deserialize("""{"taskId":"t","contextId":"c","status":{"state":"TASK_STATE_WORKING"},"generation":5}""", A2AJsonContext.Default.TaskStatusUpdateEvent);
        var fromString = JsonSerializer.Deserialize("""{"taskId":"t","contextId":"c","status":{"state":"TASK_STATE_WORKING"},"generation":"5"}""", A2AJsonContext.Default.TaskStatusUpdateEvent);
        var task = JsonSerializer.Deserialize("""{"id":"t","contextId":"c","status":{"state":"TASK_STATE_WORKING"},"generation":"9"}""", A2AJsonContext.Default.AgentTask);

        Assert.Equal(5, fromNumber!.Generation);
        Assert.Equal(5, fromString!.Generation);
        Assert.Equal(9, task!.Generation);
        Assert.Contains("\"generation\":5", JsonSerializer.Serialize(fromString, A2AJsonContext.Default.TaskStatusUpdateEvent), StringComparison.Ordinal);
    }

    private static (long Allocated, int Size) Measure(StreamResponse response)
    {
        var size = 0;
        for (var i = 0; i < 200; i++)
        {
            size = JsonSerializer.SerializeToUtf8Bytes(response, A2AJsonContext.Default.StreamResponse).Length;
        }

        const int Calls = 2000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            JsonSerializer.SerializeToUtf8Bytes(response, A2AJsonContext.Default.StreamResponse);
        }

        return ((GC.GetAllocatedBytesForCurrentThread() - before) / Calls, size);
    }
}
