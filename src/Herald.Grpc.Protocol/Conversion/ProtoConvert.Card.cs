using M = Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Conversion;

/// <summary>The agent card and its security declarations (GetExtendedAgentCard).</summary>
internal static partial class ProtoConvert
{
    public static P.AgentCard ToProto(M.AgentCard card)
    {
        var result = new P.AgentCard
        {
            Name = card.Name ?? "",
            Description = card.Description ?? "",
            Provider = card.Provider is { } provider ? new P.AgentProvider { Url = provider.Url ?? "", Organization = provider.Organization ?? "" } : null,
            Version = card.Version ?? "",
            Capabilities = ToProto(card.Capabilities),
        };
        AddAll(result.SupportedInterfaces, card.SupportedInterfaces, i => new P.AgentInterface
        {
            Url = i.Url ?? "",
            ProtocolBinding = i.ProtocolBinding ?? "",
            Tenant = i.Tenant ?? "",
            ProtocolVersion = i.ProtocolVersion ?? "",
        });
        if (card.DocumentationUrl is { } documentationUrl)
        {
            result.DocumentationUrl = documentationUrl;
        }

        if (card.IconUrl is { } iconUrl)
        {
            result.IconUrl = iconUrl;
        }

        foreach (var (name, scheme) in card.SecuritySchemes ?? [])
        {
            result.SecuritySchemes[name] = ToProto(scheme);
        }

        AddAll(result.SecurityRequirements, card.SecurityRequirements, ToProto);
        AddAll(result.DefaultInputModes, card.DefaultInputModes, s => s);
        AddAll(result.DefaultOutputModes, card.DefaultOutputModes, s => s);
        AddAll(result.Skills, card.Skills, ToProto);
        AddAll(result.Signatures, card.Signatures, s => new P.AgentCardSignature
        {
            Protected = s.Protected ?? "",
            Signature = s.Signature ?? "",
            Header = ProtoJson.ToStruct(s.Header),
        });
        return result;
    }

    public static M.AgentCard ToModel(P.AgentCard card) => new()
    {
        Name = card.Name,
        Description = card.Description,
        SupportedInterfaces = [.. card.SupportedInterfaces.Select(i => new M.AgentInterface
        {
            Url = i.Url,
            ProtocolBinding = i.ProtocolBinding,
            Tenant = NullIfEmpty(i.Tenant),
            ProtocolVersion = i.ProtocolVersion,
        })],
        Provider = card.Provider is { } provider ? new M.AgentProvider { Url = provider.Url, Organization = provider.Organization } : null,
        Version = card.Version,
        DocumentationUrl = card.HasDocumentationUrl ? card.DocumentationUrl : null,
        Capabilities = card.Capabilities is null ? new M.AgentCapabilities() : ToModel(card.Capabilities),
        SecuritySchemes = card.SecuritySchemes.Count == 0 ? null : card.SecuritySchemes.ToDictionary(p => p.Key, p => ToModel(p.Value), StringComparer.Ordinal),
        SecurityRequirements = ListOrNull(card.SecurityRequirements, ToModel),
        DefaultInputModes = [.. card.DefaultInputModes],
        DefaultOutputModes = [.. card.DefaultOutputModes],
        Skills = [.. card.Skills.Select(ToModel)],
        Signatures = ListOrNull(card.Signatures, s => new M.AgentCardSignature
        {
            Protected = s.Protected,
            Signature = s.Signature,
            Header = ProtoJson.ToDictionary(s.Header),
        }),
        IconUrl = card.HasIconUrl ? card.IconUrl : null,
    };

    private static P.AgentCapabilities ToProto(M.AgentCapabilities? capabilities)
    {
        var result = new P.AgentCapabilities();
        if (capabilities is null)
        {
            return result;
        }

        if (capabilities.Streaming is { } streaming)
        {
            result.Streaming = streaming;
        }

        if (capabilities.PushNotifications is { } push)
        {
            result.PushNotifications = push;
        }

        if (capabilities.ExtendedAgentCard is { } extended)
        {
            result.ExtendedAgentCard = extended;
        }

        AddAll(result.Extensions, capabilities.Extensions, e => new P.AgentExtension
        {
            Uri = e.Uri ?? "",
            Description = e.Description ?? "",
            Required = e.Required == true,
            Params = ProtoJson.ToStruct(e.Params),
        });
        return result;
    }

    private static M.AgentCapabilities ToModel(P.AgentCapabilities capabilities) => new()
    {
        Streaming = capabilities.HasStreaming ? capabilities.Streaming : null,
        PushNotifications = capabilities.HasPushNotifications ? capabilities.PushNotifications : null,
        ExtendedAgentCard = capabilities.HasExtendedAgentCard ? capabilities.ExtendedAgentCard : null,
        Extensions = ListOrNull(capabilities.Extensions, e => new M.AgentExtension
        {
            Uri = NullIfEmpty(e.Uri),
            Description = NullIfEmpty(e.Description),
            Required = e.Required ? true : null,
            Params = ProtoJson.ToDictionary(e.Params),
        }),
    };

    private static P.AgentSkill ToProto(M.AgentSkill skill)
    {
        var result = new P.AgentSkill { Id = skill.Id ?? "", Name = skill.Name ?? "", Description = skill.Description ?? "" };
        AddAll(result.Tags, skill.Tags, s => s);
        AddAll(result.Examples, skill.Examples, s => s);
        AddAll(result.InputModes, skill.InputModes, s => s);
        AddAll(result.OutputModes, skill.OutputModes, s => s);
        AddAll(result.SecurityRequirements, skill.SecurityRequirements, ToProto);
        return result;
    }

    private static M.AgentSkill ToModel(P.AgentSkill skill) => new()
    {
        Id = skill.Id,
        Name = skill.Name,
        Description = skill.Description,
        Tags = [.. skill.Tags],
        Examples = ListOrNull(skill.Examples, s => s),
        InputModes = ListOrNull(skill.InputModes, s => s),
        OutputModes = ListOrNull(skill.OutputModes, s => s),
        SecurityRequirements = ListOrNull(skill.SecurityRequirements, ToModel),
    };

    private static P.SecurityRequirement ToProto(M.SecurityRequirement requirement)
    {
        var result = new P.SecurityRequirement();
        foreach (var (name, scopes) in requirement.Schemes ?? [])
        {
            var list = new P.StringList();
            list.List.AddRange(scopes?.List ?? []);
            result.Schemes[name] = list;
        }

        return result;
    }

    private static M.SecurityRequirement ToModel(P.SecurityRequirement requirement) => new()
    {
        Schemes = requirement.Schemes.ToDictionary(p => p.Key, p => new M.StringList { List = [.. p.Value?.List ?? []] }, StringComparer.Ordinal),
    };

    private static P.SecurityScheme ToProto(M.SecurityScheme scheme)
    {
        var result = new P.SecurityScheme();
        if (scheme.ApiKeySecurityScheme is { } apiKey)
        {
            result.ApiKeySecurityScheme = new P.APIKeySecurityScheme { Description = apiKey.Description ?? "", Location = apiKey.Location ?? "", Name = apiKey.Name ?? "" };
        }
        else if (scheme.HttpAuthSecurityScheme is { } http)
        {
            result.HttpAuthSecurityScheme = new P.HTTPAuthSecurityScheme { Description = http.Description ?? "", Scheme = http.Scheme ?? "", BearerFormat = http.BearerFormat ?? "" };
        }
        else if (scheme.Oauth2SecurityScheme is { } oauth2)
        {
            result.Oauth2SecurityScheme = new P.OAuth2SecurityScheme
            {
                Description = oauth2.Description ?? "",
                Flows = oauth2.Flows is null ? null : ToProto(oauth2.Flows),
                Oauth2MetadataUrl = oauth2.Oauth2MetadataUrl ?? "",
            };
        }
        else if (scheme.OpenIdConnectSecurityScheme is { } oidc)
        {
            result.OpenIdConnectSecurityScheme = new P.OpenIdConnectSecurityScheme { Description = oidc.Description ?? "", OpenIdConnectUrl = oidc.OpenIdConnectUrl ?? "" };
        }
        else if (scheme.MtlsSecurityScheme is { } mtls)
        {
            result.MtlsSecurityScheme = new P.MutualTlsSecurityScheme { Description = mtls.Description ?? "" };
        }

        return result;
    }

    private static M.SecurityScheme ToModel(P.SecurityScheme scheme) => scheme.SchemeCase switch
    {
        P.SecurityScheme.SchemeOneofCase.ApiKeySecurityScheme => new()
        {
            ApiKeySecurityScheme = new()
            {
                Description = NullIfEmpty(scheme.ApiKeySecurityScheme.Description),
                Location = scheme.ApiKeySecurityScheme.Location,
                Name = scheme.ApiKeySecurityScheme.Name,
            },
        },
        P.SecurityScheme.SchemeOneofCase.HttpAuthSecurityScheme => new()
        {
            HttpAuthSecurityScheme = new()
            {
                Description = NullIfEmpty(scheme.HttpAuthSecurityScheme.Description),
                Scheme = scheme.HttpAuthSecurityScheme.Scheme,
                BearerFormat = NullIfEmpty(scheme.HttpAuthSecurityScheme.BearerFormat),
            },
        },
        P.SecurityScheme.SchemeOneofCase.Oauth2SecurityScheme => new()
        {
            Oauth2SecurityScheme = new()
            {
                Description = NullIfEmpty(scheme.Oauth2SecurityScheme.Description),
                Flows = scheme.Oauth2SecurityScheme.Flows is null ? new M.OAuthFlows() : ToModel(scheme.Oauth2SecurityScheme.Flows),
                Oauth2MetadataUrl = NullIfEmpty(scheme.Oauth2SecurityScheme.Oauth2MetadataUrl),
            },
        },
        P.SecurityScheme.SchemeOneofCase.OpenIdConnectSecurityScheme => new()
        {
            OpenIdConnectSecurityScheme = new()
            {
                Description = NullIfEmpty(scheme.OpenIdConnectSecurityScheme.Description),
                OpenIdConnectUrl = scheme.OpenIdConnectSecurityScheme.OpenIdConnectUrl,
            },
        },
        P.SecurityScheme.SchemeOneofCase.MtlsSecurityScheme => new()
        {
            MtlsSecurityScheme = new() { Description = NullIfEmpty(scheme.MtlsSecurityScheme.Description) },
        },
        _ => new(),
    };

#pragma warning disable CS0612 // The implicit and password flows are deprecated in the proto, and still mapped: cards may declare them.
    private static P.OAuthFlows ToProto(M.OAuthFlows flows)
    {
        var result = new P.OAuthFlows();
        if (flows.AuthorizationCode is { } code)
        {
            result.AuthorizationCode = new P.AuthorizationCodeOAuthFlow
            {
                AuthorizationUrl = code.AuthorizationUrl ?? "",
                TokenUrl = code.TokenUrl ?? "",
                RefreshUrl = code.RefreshUrl ?? "",
                PkceRequired = code.PkceRequired == true,
            };
            result.AuthorizationCode.Scopes.Add(code.Scopes ?? []);
        }
        else if (flows.ClientCredentials is { } client)
        {
            result.ClientCredentials = new P.ClientCredentialsOAuthFlow { TokenUrl = client.TokenUrl ?? "", RefreshUrl = client.RefreshUrl ?? "" };
            result.ClientCredentials.Scopes.Add(client.Scopes ?? []);
        }
        else if (flows.Implicit is { } implicitFlow)
        {
            result.Implicit = new P.ImplicitOAuthFlow { AuthorizationUrl = implicitFlow.AuthorizationUrl ?? "", RefreshUrl = implicitFlow.RefreshUrl ?? "" };
            result.Implicit.Scopes.Add(implicitFlow.Scopes ?? []);
        }
        else if (flows.Password is { } password)
        {
            result.Password = new P.PasswordOAuthFlow { TokenUrl = password.TokenUrl ?? "", RefreshUrl = password.RefreshUrl ?? "" };
            result.Password.Scopes.Add(password.Scopes ?? []);
        }
        else if (flows.DeviceCode is { } device)
        {
            result.DeviceCode = new P.DeviceCodeOAuthFlow
            {
                DeviceAuthorizationUrl = device.DeviceAuthorizationUrl ?? "",
                TokenUrl = device.TokenUrl ?? "",
                RefreshUrl = device.RefreshUrl ?? "",
            };
            result.DeviceCode.Scopes.Add(device.Scopes ?? []);
        }

        return result;
    }

    private static M.OAuthFlows ToModel(P.OAuthFlows flows) => flows.FlowCase switch
    {
        P.OAuthFlows.FlowOneofCase.AuthorizationCode => new()
        {
            AuthorizationCode = new()
            {
                AuthorizationUrl = flows.AuthorizationCode.AuthorizationUrl,
                TokenUrl = flows.AuthorizationCode.TokenUrl,
                RefreshUrl = NullIfEmpty(flows.AuthorizationCode.RefreshUrl),
                Scopes = new(flows.AuthorizationCode.Scopes, StringComparer.Ordinal),
                PkceRequired = flows.AuthorizationCode.PkceRequired ? true : null,
            },
        },
        P.OAuthFlows.FlowOneofCase.ClientCredentials => new()
        {
            ClientCredentials = new()
            {
                TokenUrl = flows.ClientCredentials.TokenUrl,
                RefreshUrl = NullIfEmpty(flows.ClientCredentials.RefreshUrl),
                Scopes = new(flows.ClientCredentials.Scopes, StringComparer.Ordinal),
            },
        },
        P.OAuthFlows.FlowOneofCase.Implicit => new()
        {
            Implicit = new()
            {
                AuthorizationUrl = NullIfEmpty(flows.Implicit.AuthorizationUrl),
                RefreshUrl = NullIfEmpty(flows.Implicit.RefreshUrl),
                Scopes = new(flows.Implicit.Scopes, StringComparer.Ordinal),
            },
        },
        P.OAuthFlows.FlowOneofCase.Password => new()
        {
            Password = new()
            {
                TokenUrl = NullIfEmpty(flows.Password.TokenUrl),
                RefreshUrl = NullIfEmpty(flows.Password.RefreshUrl),
                Scopes = new(flows.Password.Scopes, StringComparer.Ordinal),
            },
        },
        P.OAuthFlows.FlowOneofCase.DeviceCode => new()
        {
            DeviceCode = new()
            {
                DeviceAuthorizationUrl = flows.DeviceCode.DeviceAuthorizationUrl,
                TokenUrl = flows.DeviceCode.TokenUrl,
                RefreshUrl = NullIfEmpty(flows.DeviceCode.RefreshUrl),
                Scopes = new(flows.DeviceCode.Scopes, StringComparer.Ordinal),
            },
        },
        _ => new(),
    };
#pragma warning restore CS0612
}
