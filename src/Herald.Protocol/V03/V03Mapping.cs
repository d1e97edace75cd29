using System.Globalization;
using System.Text.Json;

namespace Herald.Protocol.V03;

/// <summary>
/// Maps between the v1.0 records (Herald's internal model) and the v0.3 wire records, both ways.
/// Each call costs O(the size of what it maps) and shares strings, metadata and JSON values with its
/// input instead of copying them, so a server can turn every internal event into v0.3 bytes cheaply.
/// </summary>
/// <remarks>
/// What v0.3 cannot say is dropped on the way there and defaulted on the way back: a text part's
/// <c>mediaType</c>/<c>filename</c>, tenants, <c>TASK_STATE_UNSPECIFIED</c> (v0.3 <c>unknown</c>),
/// <c>ROLE_UNSPECIFIED</c> (sent as <c>user</c>). A data part that is not a JSON object is wrapped as
/// <c>{"value": ...}</c>, since v0.3 data parts are objects.
/// </remarks>
public static class V03Mapping
{
    /// <summary>The version written into v0.3 cards mapped from v1.0 ones.</summary>
    public const string ProtocolVersion = "0.3.0";

    // ---- task states and roles ----

    public static V03TaskState ToV03(TaskState state) => state switch
    {
        TaskState.Submitted => V03TaskState.Submitted,
        TaskState.Working => V03TaskState.Working,
        TaskState.InputRequired => V03TaskState.InputRequired,
        TaskState.AuthRequired => V03TaskState.AuthRequired,
        TaskState.Completed => V03TaskState.Completed,
        TaskState.Canceled => V03TaskState.Canceled,
        TaskState.Failed => V03TaskState.Failed,
        TaskState.Rejected => V03TaskState.Rejected,
        _ => V03TaskState.Unknown,
    };

    public static TaskState ToV1(V03TaskState state) => state switch
    {
        V03TaskState.Submitted => TaskState.Submitted,
        V03TaskState.Working => TaskState.Working,
        V03TaskState.InputRequired => TaskState.InputRequired,
        V03TaskState.AuthRequired => TaskState.AuthRequired,
        V03TaskState.Completed => TaskState.Completed,
        V03TaskState.Canceled => TaskState.Canceled,
        V03TaskState.Failed => TaskState.Failed,
        V03TaskState.Rejected => TaskState.Rejected,
        _ => TaskState.Unspecified,
    };

    public static V03Role ToV03(Role role) => role == Role.Agent ? V03Role.Agent : V03Role.User;

    public static Role ToV1(V03Role role) => role == V03Role.Agent ? Role.Agent : Role.User;

    // ---- parts ----

    /// <summary>Text, file (bytes or URL) or data; a part without content becomes an empty text part.</summary>
    public static V03Part ToV03(Part part)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (part.Text is { } text)
        {
            return new V03TextPart { Text = text, Metadata = part.Metadata };
        }

        if (part.Raw is { } raw)
        {
            return new V03FilePart
            {
                File = new V03FileContent { Bytes = Convert.ToBase64String(raw), MimeType = part.MediaType, Name = part.Filename },
                Metadata = part.Metadata,
            };
        }

        if (part.Url is { } url)
        {
            return new V03FilePart
            {
                File = new V03FileContent { Uri = url, MimeType = part.MediaType, Name = part.Filename },
                Metadata = part.Metadata,
            };
        }

        if (part.Data is { } data)
        {
            return new V03DataPart { Data = data.ValueKind == JsonValueKind.Object ? data : WrapValue(data), Metadata = part.Metadata };
        }

        return new V03TextPart { Text = "", Metadata = part.Metadata };
    }

    /// <exception cref="A2AException">A file part with invalid base64 or with neither bytes nor uri (-32602).</exception>
    public static Part ToV1(V03Part part)
    {
        ArgumentNullException.ThrowIfNull(part);
        switch (part)
        {
            case V03TextPart text:
                return new Part { Text = text.Text, Metadata = text.Metadata };
            case V03DataPart data:
                return new Part { Data = data.Data, Metadata = data.Metadata };
            case V03FilePart { File: var file } filePart:
                if (file.Bytes is { } bytes)
                {
                    return new Part { Raw = DecodeBase64(bytes), MediaType = file.MimeType, Filename = file.Name, Metadata = filePart.Metadata };
                }

                if (file.Uri is { } uri)
                {
                    return new Part { Url = uri, MediaType = file.MimeType, Filename = file.Name, Metadata = filePart.Metadata };
                }

                throw new A2AException(A2AErrorCodes.InvalidParams, "A file part needs \"bytes\" or \"uri\".");
            default:
                throw new ArgumentException($"Unknown part type {part.GetType().Name}.", nameof(part));
        }
    }

    // ---- messages, artifacts, statuses, tasks ----

    public static V03Message ToV03(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new V03Message
        {
            MessageId = message.MessageId,
            Role = ToV03(message.Role),
            Parts = ToV03(message.Parts),
            ContextId = message.ContextId,
            TaskId = message.TaskId,
            ReferenceTaskIds = message.ReferenceTaskIds,
            Extensions = message.Extensions,
            Metadata = message.Metadata,
        };
    }

    public static Message ToV1(V03Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new Message
        {
            MessageId = message.MessageId,
            Role = ToV1(message.Role),
            Parts = ToV1(message.Parts),
            ContextId = message.ContextId,
            TaskId = message.TaskId,
            ReferenceTaskIds = message.ReferenceTaskIds,
            Extensions = message.Extensions,
            Metadata = message.Metadata,
        };
    }

    public static V03Artifact ToV03(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new V03Artifact
        {
            ArtifactId = artifact.ArtifactId,
            Name = artifact.Name,
            Description = artifact.Description,
            Parts = ToV03(artifact.Parts),
            Extensions = artifact.Extensions,
            Metadata = artifact.Metadata,
        };
    }

    public static Artifact ToV1(V03Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return new Artifact
        {
            ArtifactId = artifact.ArtifactId,
            Name = artifact.Name,
            Description = artifact.Description,
            Parts = ToV1(artifact.Parts),
            Extensions = artifact.Extensions,
            Metadata = artifact.Metadata,
        };
    }

    public static V03TaskStatus ToV03(AgentTaskStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new V03TaskStatus
        {
            State = ToV03(status.State),
            Message = status.Message is { } message ? ToV03(message) : null,
            Timestamp = FormatTimestamp(status.Timestamp),
        };
    }

    /// <summary>A timestamp that is not ISO 8601 is dropped rather than failing the whole status.</summary>
    public static AgentTaskStatus ToV1(V03TaskStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new AgentTaskStatus
        {
            State = ToV1(status.State),
            Message = status.Message is { } message ? ToV1(message) : null,
            Timestamp = ParseTimestamp(status.Timestamp),
        };
    }

    /// <summary>A v0.3 task; a task without a context gets <c>""</c>, since v0.3 requires the member.</summary>
    public static V03Task ToV03(AgentTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new V03Task
        {
            Id = task.Id,
            ContextId = task.ContextId ?? "",
            Status = ToV03(task.Status),
            Artifacts = task.Artifacts is { } artifacts ? Map(artifacts, ToV03) : null,
            History = task.History is { } history ? Map(history, ToV03) : null,
            Metadata = task.Metadata,
        };
    }

    public static AgentTask ToV1(V03Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new AgentTask
        {
            Id = task.Id,
            ContextId = task.ContextId,
            Status = ToV1(task.Status),
            Artifacts = task.Artifacts is { } artifacts ? Map(artifacts, ToV1) : null,
            History = task.History is { } history ? Map(history, ToV1) : null,
            Metadata = task.Metadata,
        };
    }

    // ---- stream events ----

    /// <summary>
    /// A v0.3 status update. <paramref name="final"/> defaults to whether the state ends a stream
    /// (terminal or interrupted), which is when Herald closes it.
    /// </summary>
    public static V03TaskStatusUpdateEvent ToV03(TaskStatusUpdateEvent update, bool? final = null)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new V03TaskStatusUpdateEvent
        {
            TaskId = update.TaskId,
            ContextId = update.ContextId,
            Status = ToV03(update.Status),
            Final = final ?? update.Status.State.EndsStream(),
            Metadata = update.Metadata,
        };
    }

    public static TaskStatusUpdateEvent ToV1(V03TaskStatusUpdateEvent update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new TaskStatusUpdateEvent { TaskId = update.TaskId, ContextId = update.ContextId, Status = ToV1(update.Status), Metadata = update.Metadata };
    }

    public static V03TaskArtifactUpdateEvent ToV03(TaskArtifactUpdateEvent update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new V03TaskArtifactUpdateEvent
        {
            TaskId = update.TaskId,
            ContextId = update.ContextId,
            Artifact = ToV03(update.Artifact),
            Append = update.Append,
            LastChunk = update.LastChunk,
            Metadata = update.Metadata,
        };
    }

    public static TaskArtifactUpdateEvent ToV1(V03TaskArtifactUpdateEvent update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new TaskArtifactUpdateEvent
        {
            TaskId = update.TaskId,
            ContextId = update.ContextId,
            Artifact = ToV1(update.Artifact),
            Append = update.Append,
            LastChunk = update.LastChunk,
            Metadata = update.Metadata,
        };
    }

    /// <summary>The v0.3 form of one stream item; <paramref name="final"/> applies to status updates (see <see cref="ToV03(TaskStatusUpdateEvent, bool?)"/>).</summary>
    /// <exception cref="ArgumentException">The item holds none of its members.</exception>
    public static V03Result ToV03(StreamResponse response, bool? final = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.StatusUpdate is { } status ? ToV03(status, final)
            : response.ArtifactUpdate is { } artifact ? ToV03(artifact)
            : response.Task is { } task ? ToV03(task)
            : response.Message is { } message ? ToV03(message)
            : throw new ArgumentException("The stream item holds no task, message, status update or artifact update.", nameof(response));
    }

    public static StreamResponse ToV1(V03Result result) => result switch
    {
        V03TaskStatusUpdateEvent status => new StreamResponse { StatusUpdate = ToV1(status) },
        V03TaskArtifactUpdateEvent artifact => new StreamResponse { ArtifactUpdate = ToV1(artifact) },
        V03Task task => new StreamResponse { Task = ToV1(task) },
        V03Message message => new StreamResponse { Message = ToV1(message) },
        null => throw new ArgumentNullException(nameof(result)),
        _ => throw new ArgumentException($"Unknown result type {result.GetType().Name}.", nameof(result)),
    };

    /// <summary>The <c>message/send</c> result: the task or the message.</summary>
    /// <exception cref="ArgumentException">The response holds neither.</exception>
    public static V03Result ToV03(SendMessageResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Task is { } task ? ToV03(task)
            : response.Message is { } message ? ToV03(message)
            : throw new ArgumentException("The response holds neither a task nor a message.", nameof(response));
    }

    /// <exception cref="ArgumentException">The result is an update event, which <c>message/send</c> does not return.</exception>
    public static SendMessageResponse ToSendMessageResponse(V03Result result) => result switch
    {
        V03Task task => new SendMessageResponse { Task = ToV1(task) },
        V03Message message => new SendMessageResponse { Message = ToV1(message) },
        null => throw new ArgumentNullException(nameof(result)),
        _ => throw new ArgumentException($"message/send returns a task or a message, not \"{result.Kind}\".", nameof(result)),
    };

    // ---- request parameters ----

    /// <summary>
    /// <c>message/send</c> parameters. <c>blocking</c> is always written: v0.3 leaves its default to the
    /// server, while v1.0 blocks unless <c>returnImmediately</c> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The request has no message.</exception>
    public static V03MessageSendParams ToV03(SendMessageRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = request.Message ?? throw new ArgumentException("The request has no message.", nameof(request));
        var configuration = request.Configuration;
        return new V03MessageSendParams
        {
            Message = ToV03(message),
            Configuration = new V03MessageSendConfiguration
            {
                AcceptedOutputModes = configuration?.AcceptedOutputModes,
                Blocking = configuration?.ReturnImmediately != true,
                HistoryLength = configuration?.HistoryLength,
                PushNotificationConfig = configuration?.TaskPushNotificationConfig is { } push ? ToV03Config(push) : null,
            },
            Metadata = request.Metadata,
        };
    }

    /// <summary>v1.0 parameters; <c>blocking: false</c> becomes <c>returnImmediately: true</c>, a missing <c>blocking</c> stays unset.</summary>
    public static SendMessageRequest ToV1(V03MessageSendParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var configuration = parameters.Configuration;
        return new SendMessageRequest
        {
            Message = ToV1(parameters.Message),
            Configuration = configuration is null ? null : new SendMessageConfiguration
            {
                AcceptedOutputModes = configuration.AcceptedOutputModes,
                ReturnImmediately = configuration.Blocking is { } blocking ? !blocking : null,
                HistoryLength = configuration.HistoryLength,
                TaskPushNotificationConfig = configuration.PushNotificationConfig is { } push ? ToV1(push, taskId: null) : null,
            },
            Metadata = parameters.Metadata,
        };
    }

    public static V03TaskQueryParams ToV03(GetTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03TaskQueryParams { Id = request.Id ?? "", HistoryLength = request.HistoryLength };
    }

    public static GetTaskRequest ToV1(V03TaskQueryParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new GetTaskRequest { Id = parameters.Id, HistoryLength = parameters.HistoryLength };
    }

    public static V03TaskIdParams ToV03(CancelTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03TaskIdParams { Id = request.Id ?? "", Metadata = request.Metadata };
    }

    public static V03TaskIdParams ToV03(SubscribeToTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03TaskIdParams { Id = request.Id ?? "" };
    }

    /// <summary><c>tasks/cancel</c> parameters as CancelTask's.</summary>
    public static CancelTaskRequest ToCancelTaskRequest(V03TaskIdParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new CancelTaskRequest { Id = parameters.Id, Metadata = parameters.Metadata };
    }

    /// <summary><c>tasks/resubscribe</c> parameters as SubscribeToTask's.</summary>
    public static SubscribeToTaskRequest ToSubscribeToTaskRequest(V03TaskIdParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new SubscribeToTaskRequest { Id = parameters.Id };
    }

    // ---- push notifications ----

    /// <summary>The webhook part of a v1.0 config (without its task id).</summary>
    public static V03PushNotificationConfig ToV03Config(TaskPushNotificationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new V03PushNotificationConfig
        {
            Id = config.Id,
            Url = config.Url ?? "",
            Token = config.Token,
            Authentication = config.Authentication is { } auth
                ? new V03PushNotificationAuthenticationInfo { Schemes = [auth.Scheme], Credentials = auth.Credentials }
                : null,
        };
    }

    /// <summary>A v1.0 config from a v0.3 webhook; v0.3 may list several schemes, v1.0 keeps the first.</summary>
    public static TaskPushNotificationConfig ToV1(V03PushNotificationConfig config, string? taskId)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new TaskPushNotificationConfig
        {
            Id = config.Id,
            TaskId = taskId,
            Url = config.Url,
            Token = config.Token,
            Authentication = config.Authentication is { Schemes: [var scheme, ..] } auth
                ? new AuthenticationInfo { Scheme = scheme, Credentials = auth.Credentials }
                : null,
        };
    }

    public static V03TaskPushNotificationConfig ToV03(TaskPushNotificationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new V03TaskPushNotificationConfig { TaskId = config.TaskId ?? "", PushNotificationConfig = ToV03Config(config) };
    }

    public static TaskPushNotificationConfig ToV1(V03TaskPushNotificationConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ToV1(config.PushNotificationConfig, config.TaskId);
    }

    public static V03GetTaskPushNotificationConfigParams ToV03Get(TaskPushNotificationConfigRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03GetTaskPushNotificationConfigParams { Id = request.TaskId ?? "", PushNotificationConfigId = request.Id };
    }

    public static V03DeleteTaskPushNotificationConfigParams ToV03Delete(TaskPushNotificationConfigRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03DeleteTaskPushNotificationConfigParams { Id = request.TaskId ?? "", PushNotificationConfigId = request.Id ?? "" };
    }

    public static TaskPushNotificationConfigRequest ToV1(V03GetTaskPushNotificationConfigParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new TaskPushNotificationConfigRequest { TaskId = parameters.Id, Id = parameters.PushNotificationConfigId };
    }

    public static TaskPushNotificationConfigRequest ToV1(V03DeleteTaskPushNotificationConfigParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new TaskPushNotificationConfigRequest { TaskId = parameters.Id, Id = parameters.PushNotificationConfigId };
    }

    public static V03ListTaskPushNotificationConfigParams ToV03(ListTaskPushNotificationConfigsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new V03ListTaskPushNotificationConfigParams { Id = request.TaskId ?? "" };
    }

    public static ListTaskPushNotificationConfigsRequest ToV1(V03ListTaskPushNotificationConfigParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new ListTaskPushNotificationConfigsRequest { TaskId = parameters.Id };
    }

    // ---- agent card ----

    /// <summary>
    /// The v0.3 card of a v1.0 card. The main <c>url</c>/<c>preferredTransport</c> is the first interface
    /// that speaks v0.3 (or the first interface when none declares v0.3); <c>additionalInterfaces</c> lists
    /// every interface of that version, the main one included (v0.3 spec 5.6.2).
    /// </summary>
    public static V03AgentCard ToV03(AgentCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var v03 = card.SupportedInterfaces.Where(i => IsV03Version(i.ProtocolVersion)).ToArray();
        var listed = v03.Length > 0 ? v03 : [.. card.SupportedInterfaces];
        var main = listed.FirstOrDefault();
        return new V03AgentCard
        {
            Name = card.Name,
            Description = card.Description,
            Url = main?.Url ?? "",
            PreferredTransport = main?.ProtocolBinding ?? "JSONRPC",
            AdditionalInterfaces = listed.Length == 0 ? null : [.. listed.Select(i => new V03AgentInterface { Url = i.Url, Transport = i.ProtocolBinding })],
            ProtocolVersion = ProtocolVersion,
            Version = card.Version,
            IconUrl = card.IconUrl,
            DocumentationUrl = card.DocumentationUrl,
            Provider = card.Provider,
            Capabilities = new V03AgentCapabilities
            {
                Streaming = card.Capabilities.Streaming,
                PushNotifications = card.Capabilities.PushNotifications,
                Extensions = card.Capabilities.Extensions,
            },
            SecuritySchemes = card.SecuritySchemes?.ToDictionary(p => p.Key, p => ToV03(p.Value), StringComparer.Ordinal),
            Security = card.SecurityRequirements is { } requirements ? Map(requirements, ToV03) : null,
            DefaultInputModes = card.DefaultInputModes,
            DefaultOutputModes = card.DefaultOutputModes,
            Skills = Map(card.Skills, ToV03),
            SupportsAuthenticatedExtendedCard = card.Capabilities.ExtendedAgentCard,
            Signatures = card.Signatures,
        };
    }

    /// <summary>
    /// The v1.0 card of a v0.3 card: <c>url</c>/<c>preferredTransport</c> first, then the other
    /// <c>additionalInterfaces</c>, all with the card's <c>protocolVersion</c> (0.3.0 when absent).
    /// </summary>
    public static AgentCard ToV1(V03AgentCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var version = string.IsNullOrWhiteSpace(card.ProtocolVersion) ? ProtocolVersion : card.ProtocolVersion;
        var interfaces = new List<AgentInterface>();
        if (card.Url.Length > 0)
        {
            interfaces.Add(new AgentInterface { Url = card.Url, ProtocolBinding = Binding(card.PreferredTransport), ProtocolVersion = version });
        }

        foreach (var additional in card.AdditionalInterfaces ?? [])
        {
            if (string.IsNullOrEmpty(additional?.Url))
            {
                continue;
            }

            var candidate = new AgentInterface { Url = additional.Url, ProtocolBinding = Binding(additional.Transport), ProtocolVersion = version };
            if (!interfaces.Any(i => i.Url == candidate.Url && string.Equals(i.ProtocolBinding, candidate.ProtocolBinding, StringComparison.OrdinalIgnoreCase)))
            {
                interfaces.Add(candidate);
            }
        }

        return new AgentCard
        {
            Name = card.Name,
            Description = card.Description,
            SupportedInterfaces = interfaces,
            Provider = card.Provider,
            Version = card.Version,
            DocumentationUrl = card.DocumentationUrl,
            Capabilities = new AgentCapabilities
            {
                Streaming = card.Capabilities.Streaming,
                PushNotifications = card.Capabilities.PushNotifications,
                Extensions = card.Capabilities.Extensions,
                ExtendedAgentCard = card.SupportsAuthenticatedExtendedCard,
            },
            SecuritySchemes = card.SecuritySchemes?.ToDictionary(p => p.Key, p => ToV1(p.Value), StringComparer.Ordinal),
            SecurityRequirements = card.Security is { } security ? Map(security, ToV1) : null,
            DefaultInputModes = card.DefaultInputModes,
            DefaultOutputModes = card.DefaultOutputModes,
            Skills = Map(card.Skills, ToV1),
            Signatures = card.Signatures,
            IconUrl = card.IconUrl,
        };
    }

    public static V03AgentSkill ToV03(AgentSkill skill)
    {
        ArgumentNullException.ThrowIfNull(skill);
        return new V03AgentSkill
        {
            Id = skill.Id,
            Name = skill.Name,
            Description = skill.Description,
            Tags = skill.Tags,
            Examples = skill.Examples,
            InputModes = skill.InputModes,
            OutputModes = skill.OutputModes,
            Security = skill.SecurityRequirements is { } requirements ? Map(requirements, ToV03) : null,
        };
    }

    public static AgentSkill ToV1(V03AgentSkill skill)
    {
        ArgumentNullException.ThrowIfNull(skill);
        return new AgentSkill
        {
            Id = skill.Id,
            Name = skill.Name,
            Description = skill.Description,
            Tags = skill.Tags,
            Examples = skill.Examples,
            InputModes = skill.InputModes,
            OutputModes = skill.OutputModes,
            SecurityRequirements = skill.Security is { } security ? Map(security, ToV1) : null,
        };
    }

    /// <summary>A v1.0 scheme in the v0.3 (OpenAPI-style) form; device-code flows have no v0.3 form and are left out.</summary>
    public static V03SecurityScheme ToV03(SecurityScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        if (scheme.ApiKeySecurityScheme is { } apiKey)
        {
            return new V03SecurityScheme { Type = "apiKey", Description = apiKey.Description, In = apiKey.Location, Name = apiKey.Name };
        }

        if (scheme.HttpAuthSecurityScheme is { } http)
        {
            return new V03SecurityScheme { Type = "http", Description = http.Description, Scheme = http.Scheme, BearerFormat = http.BearerFormat };
        }

        if (scheme.Oauth2SecurityScheme is { } oauth)
        {
            var flows = oauth.Flows;
            return new V03SecurityScheme
            {
                Type = "oauth2",
                Description = oauth.Description,
                Oauth2MetadataUrl = oauth.Oauth2MetadataUrl,
                Flows = new V03OAuthFlows
                {
                    AuthorizationCode = flows.AuthorizationCode is { } code
                        ? new V03OAuthFlow { AuthorizationUrl = code.AuthorizationUrl, TokenUrl = code.TokenUrl, RefreshUrl = code.RefreshUrl, Scopes = code.Scopes }
                        : null,
                    ClientCredentials = flows.ClientCredentials is { } client
                        ? new V03OAuthFlow { TokenUrl = client.TokenUrl, RefreshUrl = client.RefreshUrl, Scopes = client.Scopes }
                        : null,
                    Implicit = flows.Implicit is { } implicitFlow
                        ? new V03OAuthFlow { AuthorizationUrl = implicitFlow.AuthorizationUrl, RefreshUrl = implicitFlow.RefreshUrl, Scopes = implicitFlow.Scopes ?? [] }
                        : null,
                    Password = flows.Password is { } password
                        ? new V03OAuthFlow { TokenUrl = password.TokenUrl, RefreshUrl = password.RefreshUrl, Scopes = password.Scopes ?? [] }
                        : null,
                },
            };
        }

        if (scheme.OpenIdConnectSecurityScheme is { } openId)
        {
            return new V03SecurityScheme { Type = "openIdConnect", Description = openId.Description, OpenIdConnectUrl = openId.OpenIdConnectUrl };
        }

        return new V03SecurityScheme { Type = "mutualTLS", Description = scheme.MtlsSecurityScheme?.Description };
    }

    /// <summary>A v0.3 scheme in the v1.0 form; an unknown <c>type</c> gives a scheme with no member set.</summary>
    public static SecurityScheme ToV1(V03SecurityScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        return scheme.Type switch
        {
            "apiKey" => new SecurityScheme { ApiKeySecurityScheme = new ApiKeySecurityScheme { Description = scheme.Description, Location = scheme.In ?? "", Name = scheme.Name ?? "" } },
            "http" => new SecurityScheme { HttpAuthSecurityScheme = new HttpAuthSecurityScheme { Description = scheme.Description, Scheme = scheme.Scheme ?? "", BearerFormat = scheme.BearerFormat } },
            "oauth2" => new SecurityScheme
            {
                Oauth2SecurityScheme = new OAuth2SecurityScheme
                {
                    Description = scheme.Description,
                    Oauth2MetadataUrl = scheme.Oauth2MetadataUrl,
                    Flows = new OAuthFlows
                    {
                        AuthorizationCode = scheme.Flows?.AuthorizationCode is { } code
                            ? new AuthorizationCodeOAuthFlow { AuthorizationUrl = code.AuthorizationUrl ?? "", TokenUrl = code.TokenUrl ?? "", RefreshUrl = code.RefreshUrl, Scopes = code.Scopes }
                            : null,
                        ClientCredentials = scheme.Flows?.ClientCredentials is { } client
                            ? new ClientCredentialsOAuthFlow { TokenUrl = client.TokenUrl ?? "", RefreshUrl = client.RefreshUrl, Scopes = client.Scopes }
                            : null,
                        Implicit = scheme.Flows?.Implicit is { } implicitFlow
                            ? new ImplicitOAuthFlow { AuthorizationUrl = implicitFlow.AuthorizationUrl, RefreshUrl = implicitFlow.RefreshUrl, Scopes = implicitFlow.Scopes }
                            : null,
                        Password = scheme.Flows?.Password is { } password
                            ? new PasswordOAuthFlow { TokenUrl = password.TokenUrl, RefreshUrl = password.RefreshUrl, Scopes = password.Scopes }
                            : null,
                    },
                },
            },
            "openIdConnect" => new SecurityScheme { OpenIdConnectSecurityScheme = new OpenIdConnectSecurityScheme { Description = scheme.Description, OpenIdConnectUrl = scheme.OpenIdConnectUrl ?? "" } },
            "mutualTLS" => new SecurityScheme { MtlsSecurityScheme = new MutualTlsSecurityScheme { Description = scheme.Description } },
            _ => new SecurityScheme(),
        };
    }

    // ---- helpers ----

    /// <summary><c>0.3</c>, <c>0.3.x</c> and the wire-compatible <c>0.2.x</c> are the v0.3 dialect.</summary>
    public static bool IsV03Version(string? version)
    {
        var text = version?.Trim() ?? "";
        return text.Length == 0 || text == "0.3" || text.StartsWith("0.3.", StringComparison.Ordinal)
            || text == "0.2" || text.StartsWith("0.2.", StringComparison.Ordinal);
    }

    /// <summary>ISO 8601 UTC with milliseconds, as v1.0 writes it.</summary>
    public static string? FormatTimestamp(DateTimeOffset? timestamp) =>
        timestamp?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Any ISO 8601 form; no zone means UTC; null when absent or unreadable.</summary>
    public static DateTimeOffset? ParseTimestamp(string? timestamp) =>
        DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value.ToUniversalTime()
            : null;

    private static Dictionary<string, IReadOnlyList<string>> ToV03(SecurityRequirement requirement) =>
        requirement.Schemes?.ToDictionary(p => p.Key, p => p.Value.List, StringComparer.Ordinal) ?? [];

    private static SecurityRequirement ToV1(Dictionary<string, IReadOnlyList<string>> requirement) =>
        new() { Schemes = requirement.ToDictionary(p => p.Key, p => new StringList { List = p.Value ?? [] }, StringComparer.Ordinal) };

    private static string Binding(string? transport) => string.IsNullOrWhiteSpace(transport) ? "JSONRPC" : transport;

    private static V03Part[] ToV03(IReadOnlyList<Part> parts) => Map(parts, ToV03);

    private static Part[] ToV1(IReadOnlyList<V03Part> parts) => Map(parts, ToV1);

    private static TOut[] Map<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var result = new TOut[items.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = map(items[i]);
        }

        return result;
    }

    private static byte[] DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException ex)
        {
            throw new A2AException(A2AErrorCodes.InvalidParams, "A file part's \"bytes\" is not base64.", ex);
        }
    }

    private static JsonElement WrapValue(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("value"u8);
            value.WriteTo(writer);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }
}
