/** axe-core on every view in the dark theme, before and after a run (see auditViews.ts). */
import { auditViews } from './auditViews.ts';

auditViews('dark');
