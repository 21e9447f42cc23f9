/** `USER` as Docker has it: "", "name", "uid", "name:group", "uid:gid". */
export function parseUserSpec(user: string): { user: string; group: string | undefined } {
  const [name = "", group] = user.split(":");
  return { user: name || "0", group: group || undefined };
}

/** Looks a user (and group) up in the text of /etc/passwd and /etc/group; numbers pass through. */
export function resolveUser(spec: string, passwd: string, group: string): { uid: number; gid: number } | undefined {
  const { user, group: groupName } = parseUserSpec(spec);
  const entry = passwd.split("\n").find((line) => line.split(":")[0] === user);
  const uid = /^\d+$/.test(user) ? Number(user) : entry ? Number(entry.split(":")[2]) : undefined;
  if (uid === undefined) return undefined;
  let gid = entry ? Number(entry.split(":")[3]) : uid;
  if (groupName !== undefined) {
    const groupEntry = group.split("\n").find((line) => line.split(":")[0] === groupName);
    gid = /^\d+$/.test(groupName) ? Number(groupName) : groupEntry ? Number(groupEntry.split(":")[2]) : gid;
  }
  return { uid, gid };
}
