package io.corral.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged user an agent run as root starts tasks as ({@code --task-user}, Mesos's
 * {@code --switch_user}): the task's shell is started through util-linux's {@code setpriv} with
 * that user's uid, gid and groups, after the isolator's prelude joined the cgroups as root; the
 * sandbox is the user's, and the directories above it inside the work dir let others pass (search,
 * not list), so the task reaches {@code $CORRAL_SANDBOX} by its path. Immutable.
 */
record TaskUser(String name, int uid, int gid, boolean switches)
{
    /**
     * Looks {@code name} up on this host (as {@code id} does, through NSS); an
     * IllegalArgumentException says what is wrong and what to do: an unknown user, an agent that is
     * not root asked to switch to someone else, no {@code setpriv}.
     */
    static TaskUser resolve(final String name)
    {
        final String uid = id("-u", name);
        final String gid = id("-g", name);
        if (uid == null || gid == null)
        {
            throw new IllegalArgumentException("--task-user " + name + ": there is no such user on this host; " +
                "give an existing unprivileged user (e.g. nobody) or create one");
        }
        final int self = currentUid();
        final TaskUser user = new TaskUser(name, Integer.parseInt(uid), Integer.parseInt(gid),
            self != Integer.parseInt(uid));
        if (self != 0 && user.switches)
        {
            throw new IllegalArgumentException("--task-user " + name + ": switching to another user needs the agent " +
                "to run as root (it runs as uid " + self + "); run the agent as root, or leave out --task-user and " +
                "tasks run as the agent's own user");
        }
        if (user.switches && !new File("/usr/bin/setpriv").canExecute() && !new File("/bin/setpriv").canExecute())
        {
            throw new IllegalArgumentException("--task-user " + name + ": setpriv (util-linux) is not installed; " +
                "install it (Debian: apt-get install util-linux)");
        }
        return user;
    }

    /** The uid this JVM runs as. */
    static int currentUid()
    {
        final String self = id("-u", null);
        if (self == null)
        {
            throw new IllegalStateException("cannot tell which user the agent runs as ('id -u' failed)");
        }
        return Integer.parseInt(self);
    }

    private static String id(final String flag, final String name)
    {
        try
        {
            final Process p = (name == null ? new ProcessBuilder("id", flag) : new ProcessBuilder("id", flag, "--", name))
                .redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && out.matches("[0-9]+") ? out : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * What runs a command as this user, in front of {@code /bin/sh -c ...} (nothing if the agent
     * already is): setpriv by its absolute path (the root wrapper looks nothing up in a PATH).
     */
    String prefix()
    {
        return switches ? setpriv() + " --reuid=" + uid + " --regid=" + gid + " --init-groups -- " : "";
    }

    private static String setpriv()
    {
        return new File("/usr/bin/setpriv").canExecute() ? "/usr/bin/setpriv" : "/bin/setpriv";
    }

    /**
     * Gives the sandbox (and the files {@code names} in it, created if missing) to this user, and
     * lets others pass through the directories from it up to {@code workDir}.
     */
    void own(final File workDir, final File sandbox, final String... names) throws IOException
    {
        final UserPrincipalLookupService lookup = sandbox.toPath().getFileSystem().getUserPrincipalLookupService();
        final PosixFileAttributeView view = Files.getFileAttributeView(sandbox.toPath(), PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS);
        final var owner = lookup.lookupPrincipalByName(name);
        final var group = lookup.lookupPrincipalByGroupName(Integer.toString(gid));
        view.setOwner(owner);
        view.setGroup(group);
        for (final String n : names)
        {
            final Path file = sandbox.toPath().resolve(n);
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS))
            {
                Files.createFile(file);
            }
            // (never through a link: a chown that followed one would give its target away)
            final PosixFileAttributeView v = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
            v.setOwner(owner);
            v.setGroup(group);
        }
        final Path top = workDir.getAbsoluteFile().toPath().normalize();
        for (Path p = sandbox.getAbsoluteFile().toPath().normalize().getParent(); p != null && p.startsWith(top);
            p = p.getParent())
        {
            final Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE))
            {
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }
}
