-- 2: reserved for the registry branch's audit-log migration (same file name on main).
-- This placeholder only keeps the numbering contiguous on the drift branch; delete it when
-- the registry branch's 0002 is merged.
SELECT 1;
