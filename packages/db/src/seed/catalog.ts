import type { PipelineStep } from '@paidflow/contracts';

/** A course the demo store sells; its slug names it on the local course source. */
export interface Course {
  slug: string;
  title: string;
  /** Price in VND. */
  price: number;
}

/** The demo catalog. The worker's course source serves `${base}/<slug>/manifest.json`. */
export const COURSE_CATALOG: readonly Course[] = [
  {
    slug: 'complete-javascript-course',
    title: 'The Complete JavaScript Course: From Zero to Expert',
    price: 349000,
  },
  {
    slug: 'react-the-complete-guide',
    title: 'React - The Complete Guide (incl. Next.js, Redux)',
    price: 399000,
  },
  {
    slug: 'nodejs-the-complete-guide',
    title: 'NodeJS - The Complete Guide (MVC, REST APIs, GraphQL)',
    price: 379000,
  },
  {
    slug: 'typescript-deep-dive',
    title: 'Understanding TypeScript: Types, Generics and Decorators',
    price: 299000,
  },
  { slug: 'docker-kubernetes-practical', title: 'Docker & Kubernetes: The Practical Guide', price: 449000 },
  {
    slug: 'aws-solutions-architect',
    title: 'Ultimate AWS Certified Solutions Architect Associate',
    price: 499000,
  },
  { slug: 'python-bootcamp', title: '100 Days of Code: The Complete Python Pro Bootcamp', price: 329000 },
  { slug: 'machine-learning-a-z', title: 'Machine Learning A-Z: AI, Python & R', price: 459000 },
  { slug: 'sql-masterclass', title: 'The Complete SQL Bootcamp: Go from Zero to Hero', price: 249000 },
  {
    slug: 'mysql-performance-tuning',
    title: 'MySQL Performance Tuning: Indexes, Plans and Schemas',
    price: 289000,
  },
  { slug: 'redis-in-practice', title: 'Redis in Practice: Caching, Queues and Pub/Sub', price: 259000 },
  { slug: 'golang-microservices', title: 'Working with Microservices in Go', price: 399000 },
  { slug: 'rust-programming', title: 'Ultimate Rust Crash Course', price: 279000 },
  { slug: 'flutter-dart-guide', title: 'Flutter & Dart - The Complete Guide', price: 429000 },
  {
    slug: 'ios-swiftui-bootcamp',
    title: 'iOS & Swift - The Complete iOS App Development Bootcamp',
    price: 469000,
  },
  { slug: 'android-kotlin-developer', title: 'The Complete Android Kotlin Developer Course', price: 419000 },
  { slug: 'figma-ui-ux-design', title: 'Complete Web & Mobile Designer: UI/UX, Figma + more', price: 319000 },
  {
    slug: 'digital-marketing-masterclass',
    title: 'The Complete Digital Marketing Course - 12 Courses in 1',
    price: 229000,
  },
  {
    slug: 'excel-from-beginner-to-advanced',
    title: 'Microsoft Excel - Excel from Beginner to Advanced',
    price: 199000,
  },
  { slug: 'ielts-band-7-plus', title: 'IELTS Band 7+ Complete Prep Course', price: 259000 },
  {
    slug: 'data-structures-algorithms',
    title: 'Master the Coding Interview: Data Structures + Algorithms',
    price: 389000,
  },
  { slug: 'linux-command-line', title: 'Linux Command Line Basics to Bash Scripting', price: 219000 },
  { slug: 'ethical-hacking-bootcamp', title: 'Learn Ethical Hacking From Scratch', price: 359000 },
  { slug: 'photoshop-masterclass', title: 'Adobe Photoshop CC - Essentials Training Course', price: 239000 },
  {
    slug: 'premiere-pro-video-editing',
    title: 'Video Editing in Adobe Premiere Pro: Beginner to Pro',
    price: 269000,
  },
  { slug: 'unity-game-development', title: 'Complete C# Unity Game Developer 2D', price: 409000 },
  { slug: 'nextjs-app-router', title: 'Next.js 15 & React - The Complete Guide', price: 389000 },
  {
    slug: 'vue-3-composition-api',
    title: 'Vue - The Complete Guide (incl. Router & Composition API)',
    price: 339000,
  },
  { slug: 'system-design-interview', title: 'System Design Interview: An Insider Guide', price: 479000 },
  {
    slug: 'product-management-101',
    title: 'Become a Product Manager: Learn the Skills & Get the Job',
    price: 299000,
  },
];

export const FIRST_NAMES = [
  'an',
  'binh',
  'chi',
  'dung',
  'giang',
  'hai',
  'hoa',
  'hung',
  'khanh',
  'lan',
  'linh',
  'long',
  'mai',
  'minh',
  'nam',
  'ngoc',
  'phuong',
  'quang',
  'son',
  'thao',
  'trang',
  'tuan',
  'viet',
  'vy',
  'duc',
  'hanh',
  'huy',
  'kien',
  'my',
  'thanh',
] as const;

export const LAST_NAMES = [
  'nguyen',
  'tran',
  'le',
  'pham',
  'hoang',
  'huynh',
  'phan',
  'vu',
  'vo',
  'dang',
  'bui',
  'do',
  'ho',
  'ngo',
  'duong',
  'ly',
  'trinh',
  'dinh',
  'lam',
  'mai',
] as const;

export const EMAIL_DOMAINS = [
  'gmail.com',
  'gmail.com',
  'gmail.com',
  'yahoo.com',
  'outlook.com',
  'hotmail.com',
  'icloud.com',
  'fpt.edu.vn',
] as const;

/**
 * The email of demo customer number `index`: distinct for every index, so that several orders
 * share a customer only when they share the index.
 */
/** One customer in twelve is a VIP: every order of theirs goes before the normal ones. */
export function customerPriority(index: number): 'normal' | 'vip' {
  return index % 12 === 5 ? 'vip' : 'normal';
}

export function customerEmail(index: number): string {
  const first = FIRST_NAMES[index % FIRST_NAMES.length]!;
  const rest = Math.floor(index / FIRST_NAMES.length);
  const last = LAST_NAMES[rest % LAST_NAMES.length]!;
  const round = Math.floor(rest / LAST_NAMES.length);
  const domain = EMAIL_DOMAINS[(index * 7 + round) % EMAIL_DOMAINS.length]!;
  return `${first}.${last}${round === 0 ? '' : round}@${domain}`;
}

/** A failure a task can meet; its error type comes from the contracts' classifier. */
export interface FailureScenario {
  step: PipelineStep;
  code: string | null;
  message: string;
  httpStatus: number | null;
}

export const FAILURES: readonly FailureScenario[] = [
  {
    step: 'enroll',
    code: null,
    message: 'Login failed: invalid credentials for the course platform',
    httpStatus: 401,
  },
  { step: 'enroll', code: null, message: 'Course manifest not found (HTTP 404)', httpStatus: 404 },
  {
    step: 'enroll',
    code: 'ETIMEDOUT',
    message: 'Enrollment request timed out after 30000 ms',
    httpStatus: null,
  },
  {
    step: 'download',
    code: 'ECONNRESET',
    message: 'socket hang up while downloading a lecture',
    httpStatus: null,
  },
  { step: 'download', code: 'ETIMEDOUT', message: 'Download timed out: no data for 60 s', httpStatus: null },
  { step: 'download', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write', httpStatus: null },
  {
    step: 'download',
    code: null,
    message: 'File not found on the course source (HTTP 404)',
    httpStatus: 404,
  },
  {
    step: 'download',
    code: null,
    message: 'Upstream returned HTTP 503 Service Unavailable',
    httpStatus: 503,
  },
  {
    step: 'upload',
    code: 'EACCES',
    message: 'EACCES: permission denied, mkdir on the delivery folder',
    httpStatus: null,
  },
  {
    step: 'upload',
    code: null,
    message: 'Drive API: token expired, re-authentication required',
    httpStatus: 401,
  },
  { step: 'upload', code: 'ENOSPC', message: 'Drive quota exceeded: insufficient storage', httpStatus: null },
];

/** Lecture file names a task in progress can be busy with. */
export const LECTURE_FILES = [
  '01-introduction.mp4',
  '02-setup.mp4',
  '03-core-concepts.mp4',
  '04-hands-on-project.mp4',
  '05-best-practices.mp4',
  '06-testing.mp4',
  '07-deployment.mp4',
  'resources.zip',
  'slides.pdf',
] as const;

export const GATEWAYS = ['MBBank', 'Vietcombank', 'TPBank', 'ACB', 'Techcombank'] as const;
