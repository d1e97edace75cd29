namespace Herald.AspNetCore.Card;

/// <summary>
/// An interface a binding serves, for the agent card's <c>supportedInterfaces</c>: each binding mapped by
/// <c>MapHerald</c> contributes its own (JSON-RPC 1.0 and 0.3 today), in the order of preference the card lists.
/// </summary>
/// <param name="ProtocolBinding"><c>JSONRPC</c>, <c>HTTP+JSON</c>, <c>GRPC</c>.</param>
/// <param name="ProtocolVersion">Major.minor, e.g. <c>1.0</c>.</param>
/// <param name="Path">Where the binding answers, relative to the path <c>MapHerald</c> was given; empty for that path itself.</param>
internal sealed record CardInterface(string ProtocolBinding, string ProtocolVersion, string Path = "");
