using Grpc.Core;

namespace Herald.Grpc.Service;

/// <summary>
/// A response message already in protobuf bytes: stream events are encoded once per event (and encoding) and
/// these bytes are written to every stream, instead of each stream serializing its own copy.
/// </summary>
internal sealed class EncodedMessage(ReadOnlyMemory<byte> bytes)
{
    /// <summary>Writes the bytes as they are; a server never reads one.</summary>
    public static readonly Marshaller<EncodedMessage> Marshaller = new(
        static (message, context) =>
        {
            context.SetPayloadLength(message.Bytes.Length);
            var writer = context.GetBufferWriter();
            System.Buffers.BuffersExtensions.Write(writer, message.Bytes.Span);
            context.Complete();
        },
        static _ => throw new NotSupportedException("Encoded messages are only written."));

    public ReadOnlyMemory<byte> Bytes { get; } = bytes;
}
