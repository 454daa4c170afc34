using Custos.Ssh.Wire;
using FsCheck;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Wire;

public class WireProperties
{
    [Property(MaxTest = 300)]
    public void Every_RFC_4251_type_round_trips(byte b, bool flag, uint u32, ulong u64, byte[] bytes, NonNull<string> text, byte[] magnitude)
    {
        string utf8 = new([.. text.Get.Where(c => !char.IsSurrogate(c))]);
        string[] names = [.. utf8.Split(',', ' ').Where(n => n.Length > 0 && n.All(c => c > ' ' && c < 0x7f))];
        var writer = new SshWriter(1);
        writer.WriteByte(b);
        writer.WriteBoolean(flag);
        writer.WriteUInt32(u32);
        writer.WriteUInt64(u64);
        writer.WriteString(bytes);
        writer.WriteUtf8String(utf8);
        writer.WriteMpint(magnitude);
        writer.WriteNameList(names);

        var reader = new SshReader(writer.WrittenSpan);

        Assert.Equal(b, reader.ReadByte());
        Assert.Equal(flag, reader.ReadBoolean());
        Assert.Equal(u32, reader.ReadUInt32());
        Assert.Equal(u64, reader.ReadUInt64());
        Assert.Equal(bytes, reader.ReadString().ToArray());
        Assert.Equal(utf8, reader.ReadUtf8String());
        Assert.Equal(magnitude.SkipWhile(x => x == 0).ToArray(), reader.ReadMpint().ToArray());
        Assert.Equal(names, reader.ReadNameList());
        reader.EnsureEnd();
    }

    [Property(MaxTest = 500)]
    public void Reading_random_bytes_raises_only_the_format_exception(byte[] data, byte[] operations)
    {
        HostileInput.OnlyFormatErrors(data.Length, () =>
        {
            var reader = new SshReader(data);
            foreach (byte operation in operations)
            {
                switch (operation % 8)
                {
                    case 0: reader.ReadByte(); break;
                    case 1: reader.ReadUInt32(); break;
                    case 2: reader.ReadUInt64(); break;
                    case 3: reader.ReadString(); break;
                    case 4: reader.ReadUtf8String(); break;
                    case 5: reader.ReadMpint(); break;
                    case 6: reader.ReadNameList(); break;
                    default: reader.ReadBytes(operation); break;
                }
            }

            reader.EnsureEnd();
        });
    }

    [Fact]
    public void A_string_longer_than_the_remaining_input_is_a_format_error_not_an_allocation()
    {
        byte[] data = [0x7f, 0xff, 0xff, 0xff, 1, 2, 3];

        var error = Assert.Throws<SshFormatException>(() => new SshReader(data).ReadString().ToArray());

        Assert.Contains("exceeds the 3 bytes remaining", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 1, 0x80 }, "Negative")]
    [InlineData(new byte[] { 0, 0, 0, 2, 0, 0x7f }, "minimal")]
    [InlineData(new byte[] { 0, 0, 0, 1, 0 }, "minimal")]
    public void Negative_and_non_minimal_mpints_are_refused(byte[] data, string reason)
    {
        var error = Assert.Throws<SshFormatException>(() => new SshReader(data).ReadMpint().ToArray());

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mpint_with_the_top_bit_set_is_written_with_a_leading_zero()
    {
        var writer = new SshWriter();

        writer.WriteMpint([0x00, 0x80, 0x01]);

        Assert.Equal(new byte[] { 0, 0, 0, 3, 0, 0x80, 0x01 }, writer.ToArray());
    }
}
