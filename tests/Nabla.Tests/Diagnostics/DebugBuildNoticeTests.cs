using Nabla.Engine;

namespace Nabla.Tests.Diagnostics;

/// <summary>A Debug build of Nabla says so once when it loads (the tests and Nabla are built in one configuration).</summary>
public class DebugBuildNoticeTests
{
    [Fact]
    public void DebugBuildsCarryTheWarningAndReleaseBuildsNone()
    {
#if DEBUG
        Assert.True(DebugBuildNotice.IsDebugBuild);
        Assert.StartsWith("warning: Nabla.dll is a Debug build", DebugBuildNotice.Message);
        Assert.Contains("-c Release", DebugBuildNotice.Message);
        Assert.Contains("NABLA_NO_DEBUG_WARNING=1", DebugBuildNotice.Message);
#else
        Assert.False(DebugBuildNotice.IsDebugBuild);
        Assert.Null(DebugBuildNotice.Message);
#endif
    }

    [Fact]
    public void TheWarningIsWrittenUnlessSilenced()
    {
        var written = new StringWriter();
        DebugBuildNotice.Warn(written, silence: null);
        Assert.Equal(DebugBuildNotice.Message is { } m ? m + Environment.NewLine : "", written.ToString());

        var silenced = new StringWriter();
        DebugBuildNotice.Warn(silenced, silence: "1");
        Assert.Equal("", silenced.ToString());
    }
}
