using System.Text.Json;
using CsCheck;
using Herald.Client;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>
/// The task a store keeps is the fold of its own log: for generated event sequences (status updates with and
/// without messages, history messages, artifacts added, replaced and extended, with new ids, lastChunk, header
/// fields and metadata), the task read back equals the client's fold of the events read back.
/// </summary>
public abstract partial class TaskStoreConformanceTests
{
    /// <summary>How many generated sequences the fold property runs; durable stores may ask for fewer.</summary>
    protected virtual long FoldIterations => 100;

    [StoreFact]
    public async Task GetAsync_GeneratedEventSequence_EqualsTheFoldOfTheLog()
    {
        var store = Store();

        await Sequences.SampleAsync(async sequence =>
        {
            var task = NewTask(message: Message.UserText("first") with { MessageId = "m-first" });
            await store.CreateAsync(task);
            var drafts = sequence.Events.Select(e => e.Draft(task)).ToList();
            for (var start = 0; start < drafts.Count; start += sequence.BatchSize)
            {
                await store.AppendAsync(task.Id, drafts.GetRange(start, Math.Min(sequence.BatchSize, drafts.Count - start)));
            }

            var snapshot = await store.GetAsync(task.Id);
            var log = await ReadAllAsync(store, task.Id);
            var fold = new TaskFold();
            foreach (var e in log)
            {
                fold.Apply(AsStreamItem(e));
            }

            Assert.NotNull(snapshot);
            Assert.Equal(drafts.Count + 1, log.Count);
            Assert.Equal(log[^1].Sequence, snapshot.Sequence);
            // The fold of the wire events has no generation (a 1.1 client reads it from each event): the snapshot's is the last event's.
            Assert.Equal(log[^1].Generation, snapshot.Generation);
            Assert.Equal(Json(fold.Task! with { Generation = snapshot.Task.Generation }), Json(snapshot.Task));
        }, iter: FoldIterations, threads: 1, print: s => string.Join(" | ", s.Events.Select(e => e.ToString())) + $" (batches of {s.BatchSize})");
    }

    private static async Task<List<TaskEvent>> ReadAllAsync(TaskStore store, string taskId)
    {
        var all = new List<TaskEvent>();
        while (true)
        {
            var page = await store.ReadAsync(taskId, all.Count == 0 ? 0 : all[^1].Sequence, 100);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
        }
    }

    private static StreamResponse AsStreamItem(TaskEvent e) => e.Kind switch
    {
        TaskEventKind.Created => new StreamResponse { Task = e.CreatedTask },
        TaskEventKind.Message => new StreamResponse { Message = e.Message },
        TaskEventKind.Status => new StreamResponse { StatusUpdate = e.StatusUpdate },
        TaskEventKind.Artifact => new StreamResponse { ArtifactUpdate = e.ArtifactUpdate },
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    /// <summary>As JSON, with an empty history or artifact list the same as none (the client keeps what the wire said).</summary>
    private static string Json(AgentTask task) => JsonSerializer.Serialize(
        task with
        {
            History = task.History is { Count: > 0 } ? task.History : null,
            Artifacts = task.Artifacts is { Count: > 0 } ? task.Artifacts : null,
        },
        A2AJsonContext.Default.AgentTask);

    // ---- the generators ----

    private static readonly TaskState[] OngoingStates = [TaskState.Submitted, TaskState.Working, TaskState.InputRequired, TaskState.AuthRequired];

    private static readonly TaskState[] TerminalStates = [TaskState.Completed, TaskState.Failed, TaskState.Canceled, TaskState.Rejected];

    private static readonly Gen<Dictionary<string, JsonElement>?> Metadata =
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 9], (keys, value) => keys == 0
            ? null
            : Enumerable.Range(0, keys).ToDictionary(k => "k" + ((k + value) % 4), _ => JsonElement.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private static readonly Gen<string?> MaybeText = Gen.Int[0, 3].Select(i => i == 0 ? null : "t" + i);

    private static readonly Gen<Part[]> Parts =
        Gen.Select(Gen.Int[0, 9], Metadata, (text, metadata) => Part.FromText("p" + text) with { Metadata = metadata }).Array[0, 3];

    private static readonly Gen<IReadOnlyList<string>?> Extensions =
        Gen.Int[0, 3].Select(i => i switch { 0 => null, 1 => ["e1"], 2 => ["e2"], _ => (IReadOnlyList<string>?)["e1", "e2"] });

    private static readonly Gen<Message> Messages =
        Gen.Select(Gen.Bool, Gen.Int[0, 999_999], Metadata, (agent, id, metadata) =>
            (agent ? Message.AgentText("a" + id) : Message.UserText("u" + id)) with { MessageId = "m" + id, Metadata = metadata });

    private static readonly Gen<GeneratedEvent> StatusEvents =
        Gen.Select(Gen.Int[0, OngoingStates.Length - 1], Gen.Bool, Messages, Gen.Int[0, 60_000], Metadata,
            (state, withMessage, message, ms, metadata) => (GeneratedEvent)new GeneratedStatus(OngoingStates[state], withMessage ? message : null, ms, metadata));

    private static readonly Gen<GeneratedEvent> ArtifactEvents =
        Gen.Select(
            Gen.Select(Gen.Int[0, 3], Parts, MaybeText, MaybeText, Metadata, Extensions, (id, parts, name, description, metadata, extensions) => new Artifact
            {
                ArtifactId = "art" + id,
                Parts = parts,
                Name = name,
                Description = description,
                Metadata = metadata,
                Extensions = extensions,
            }),
            Gen.Int[0, 2],
            Gen.Bool,
            Metadata,
            (artifact, append, lastChunk, eventMetadata) => (GeneratedEvent)new GeneratedArtifact(
                artifact,
                Append: append > 0, // appends are the common case, as when an agent streams
                LastChunk: lastChunk,
                eventMetadata));

    private static readonly Gen<GeneratedEvent> MessageEvents = Messages.Select(m => (GeneratedEvent)new GeneratedMessage(m));

    private static readonly Gen<GeneratedSequence> Sequences =
        Gen.Select(
            Gen.OneOf(StatusEvents, ArtifactEvents, ArtifactEvents, MessageEvents).Array[0, 40],
            Gen.Int[0, 2],
            Gen.Int[0, TerminalStates.Length - 1],
            Gen.Int[1, 8],
            (events, end, terminal, batch) => new GeneratedSequence(
                end == 0 ? [.. events, new GeneratedStatus(TerminalStates[terminal], Message.AgentText("bye") with { MessageId = "m-bye" }, 61_000, null)] : events,
                batch));

    private sealed record GeneratedSequence(GeneratedEvent[] Events, int BatchSize);

    private abstract record GeneratedEvent
    {
        public abstract TaskEvent Draft(AgentTask task);
    }

    private sealed record GeneratedStatus(TaskState State, Message? Message, int Ms, Dictionary<string, JsonElement>? EventMetadata) : GeneratedEvent
    {
        public override TaskEvent Draft(AgentTask task) => TaskEvent.ForStatus(0, new TaskStatusUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Status = new AgentTaskStatus { State = State, Message = Message, Timestamp = T0.AddMilliseconds(Ms) },
            Metadata = EventMetadata,
        }, T0.AddMilliseconds(Ms));

        public override string ToString() => $"status {State}{(Message is null ? "" : " +" + Message.MessageId)}";
    }

    private sealed record GeneratedArtifact(Artifact Artifact, bool Append, bool LastChunk, Dictionary<string, JsonElement>? EventMetadata) : GeneratedEvent
    {
        public override TaskEvent Draft(AgentTask task) => TaskEvent.ForArtifact(0, new TaskArtifactUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Artifact = Artifact,
            Append = Append ? true : null,
            LastChunk = LastChunk ? true : null,
            Metadata = EventMetadata,
        }, T0);

        public override string ToString() =>
            $"{(Append ? "append" : "set")} {Artifact.ArtifactId} [{string.Join(",", Artifact.Parts.Select(p => p.Text))}]" +
            $"{(Artifact.Name is null ? "" : " name")}{(Artifact.Description is null ? "" : " desc")}" +
            $"{(Artifact.Metadata is null ? "" : " meta:" + string.Join(",", Artifact.Metadata.Keys))}{(Artifact.Extensions is null ? "" : " ext")}{(LastChunk ? " last" : "")}";
    }

    private sealed record GeneratedMessage(Message Message) : GeneratedEvent
    {
        public override TaskEvent Draft(AgentTask task) => TaskEvent.ForMessage(0, Message, T0);

        public override string ToString() => "message " + Message.MessageId;
    }
}
