using System.Text;

namespace Custos.Ssh.Keys;

/// <summary>One option of an <c>authorized_keys</c> line: a flag (<c>no-pty</c>) or <c>name="value"</c>.</summary>
public sealed record AuthorizedKeyOption(string Name, string? Value = null)
{
    public override string ToString() =>
        Value is null ? Name : Name + "=\"" + Value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// A line of an <c>authorized_keys</c> file (sshd(8), AUTHORIZED_KEYS FILE FORMAT): optional options,
/// key type, base64 key, optional comment. Options and comment are kept exactly as written. Option names
/// sshd does not know are refused, as sshd refuses them.
/// </summary>
public sealed class AuthorizedKeyEntry
{
    private static readonly HashSet<string> KnownOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        "agent-forwarding", "cert-authority", "command", "environment", "expiry-time", "from", "no-agent-forwarding",
        "no-port-forwarding", "no-pty", "no-user-rc", "no-X11-forwarding", "permitlisten", "permitopen", "port-forwarding",
        "principals", "pty", "no-touch-required", "verify-required", "restrict", "tunnel", "user-rc", "X11-forwarding",
    };

    private AuthorizedKeyEntry(string optionsText, IReadOnlyList<AuthorizedKeyOption> options, SshPublicKey key, string comment)
    {
        OptionsText = optionsText;
        Options = options;
        Key = key;
        Comment = comment;
    }

    /// <summary>The options exactly as written (empty when there are none).</summary>
    public string OptionsText { get; }

    public IReadOnlyList<AuthorizedKeyOption> Options { get; }

    public SshPublicKey Key { get; }

    public string Comment { get; }

    /// <summary>The value of an option (case-insensitive name); null when absent or a flag.</summary>
    public string? GetOption(string name) => Options.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

    public bool HasOption(string name) => Options.Any(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Creates an entry from parts; the options text is rendered from <paramref name="options"/>.</summary>
    public static AuthorizedKeyEntry Create(SshPublicKey key, IEnumerable<AuthorizedKeyOption>? options = null, string comment = "")
    {
        ArgumentNullException.ThrowIfNull(key);
        AuthorizedKeyOption[] list = [.. options ?? []];
        return new AuthorizedKeyEntry(string.Join(',', list.Select(o => o.ToString())), list, key, comment ?? string.Empty);
    }

    /// <summary>Parses every key line of a file; blank lines and <c>#</c> comments are skipped.</summary>
    public static IReadOnlyList<AuthorizedKeyEntry> ParseFile(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<AuthorizedKeyEntry>();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            try
            {
                entries.Add(Parse(line));
            }
            catch (SshFormatException ex)
            {
                throw new SshFormatException($"authorized_keys line {lineNumber}: {ex.Message}", ex);
            }
        }

        return entries;
    }

    /// <summary>Parses one line; raises <see cref="SshFormatException"/> naming what is wrong.</summary>
    public static AuthorizedKeyEntry Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string text = line.Trim();
        if (text.Length == 0 || text[0] == '#')
        {
            throw new SshFormatException("The line is empty or a comment.");
        }

        string optionsText = string.Empty;
        IReadOnlyList<AuthorizedKeyOption> options = [];
        if (!LooksLikeKeyType(FirstToken(text)))
        {
            int end = OptionsEnd(text);
            optionsText = text[..end];
            options = ParseOptions(optionsText);
            text = text[end..].TrimStart();
        }

        string[] parts = text.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new SshFormatException("The line needs a key type and base64 key data.");
        }

        SshPublicKey key = SshPublicKey.ParseTypeAndBase64(parts[0], parts[1]);
        return new AuthorizedKeyEntry(optionsText, options, key, parts.Length > 2 ? parts[2].Trim() : string.Empty);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        if (OptionsText.Length > 0)
        {
            text.Append(OptionsText).Append(' ');
        }

        return text.Append(Key.ToText(Comment)).ToString();
    }

    private static string FirstToken(string text)
    {
        int space = text.IndexOfAny([' ', '\t']);
        return space < 0 ? text : text[..space];
    }

    private static bool LooksLikeKeyType(string token) =>
        token is SshAlgorithmNames.Ed25519 or SshAlgorithmNames.EcdsaP256 or SshAlgorithmNames.EcdsaP384 or SshAlgorithmNames.EcdsaP521
            or SshAlgorithmNames.Rsa or SshAlgorithmNames.SecurityKeyEd25519 or SshAlgorithmNames.SecurityKeyEcdsaP256 or SshAlgorithmNames.Dsa
        || SshAlgorithmNames.IsCertificate(token);

    /// <summary>The index of the first whitespace outside double quotes: where the options end.</summary>
    private static int OptionsEnd(string text)
    {
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted && c == '\\' && i + 1 < text.Length && text[i + 1] == '"')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && (c == ' ' || c == '\t'))
            {
                return i;
            }
        }

        throw new SshFormatException(quoted ? "An option value has no closing quote." : "The line has options but no key.");
    }

    private static AuthorizedKeyOption[] ParseOptions(string text)
    {
        var options = new List<AuthorizedKeyOption>();
        int i = 0;
        while (i < text.Length)
        {
            int nameStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',')
            {
                char c = text[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
                {
                    throw new SshFormatException($"Invalid character in an option name at position {i + 1}.");
                }

                i++;
            }

            string name = text[nameStart..i];
            if (!KnownOptions.Contains(name))
            {
                throw new SshFormatException($"Unknown authorized_keys option '{SshPublicKey.Truncate(name)}' (sshd refuses the key line too).");
            }

            string? value = null;
            if (i < text.Length && text[i] == '=')
            {
                i++;
                value = ReadQuoted(text, ref i);
            }

            options.Add(new AuthorizedKeyOption(name, value));
            if (i < text.Length)
            {
                if (text[i] != ',' || i == text.Length - 1)
                {
                    throw new SshFormatException($"Options must be separated by single commas (position {i + 1}).");
                }

                i++;
            }
        }

        return [.. options];
    }

    private static string ReadQuoted(string text, ref int i)
    {
        if (i >= text.Length || text[i] != '"')
        {
            throw new SshFormatException("An option value must be in double quotes.");
        }

        var value = new StringBuilder();
        for (i++; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '"')
            {
                value.Append('"');
                i++;
            }
            else if (text[i] == '"')
            {
                i++;
                return value.ToString();
            }
            else
            {
                value.Append(text[i]);
            }
        }

        throw new SshFormatException("An option value has no closing quote.");
    }
}
