using System.Text.Json.Serialization;

namespace Herald.Protocol.V03;

/// <summary>
/// What <c>message/send</c> returns and what each <c>message/stream</c> / <c>tasks/resubscribe</c> event
/// carries: a <see cref="V03Task"/>, a <see cref="V03Message"/>, a <see cref="V03TaskStatusUpdateEvent"/> or a
/// <see cref="V03TaskArtifactUpdateEvent"/>, told apart by <c>kind</c>.
/// </summary>
/// <remarks>
/// <c>kind</c> is a property of each type rather than a polymorphism discriminator, so that a task or
/// message serialized on its own (a <c>tasks/get</c> result, a message inside a task's history) carries it too.
/// </remarks>
[JsonConverter(typeof(V03ResultConverter))]
public abstract record V03Result
{
    private protected V03Result()
    {
    }

    /// <summary><c>task</c>, <c>message</c>, <c>status-update</c> or <c>artifact-update</c>.</summary>
    public abstract string Kind { get; }
}
